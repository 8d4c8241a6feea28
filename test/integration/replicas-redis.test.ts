import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { DEMO_CONFIG_PATH } from '../../src/cli/config-path.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { describeWithServer } from '../support/require-server.js';
import { startRedis, type RedisServer } from '../support/servers/redis.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';

/**
 * Several replicas behind one Service share lockouts and rate limits through a real redis-server; when Redis
 * dies, logins go on (each replica falls back to its memory) and the ops port says so.
 */
describeWithServer('redis', 'two replicas sharing Redis', () => {
  let redis: RedisServer;
  let a: TestBridge;
  let b: TestBridge;
  const SECRET = 'demo-secret-not-for-production';

  beforeAll(async () => {
    // A Redis of this suite's own, so killing it disturbs no other test.
    redis = await startRedis();
    const demo = await readFile(DEMO_CONFIG_PATH, 'utf8');
    const config = `${demo}\ncache:\n  redis:\n    url: ${redis.url}\n    connectTimeoutMs: 500\n    commandTimeoutMs: 300\nsecurity:\n  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 }\n`;
    const rules = await readFile(DEMO_CONFIG_PATH.replace('config.yaml', 'rules.yaml'), 'utf8');
    a = await startTestBridge({ config, rules });
    b = await startTestBridge({ config, rules });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  const login = (replica: TestBridge, username: string, password: string) =>
    replica.post(`/loginshare/demo/user?key=${SECRET}`, { username, password, ipaddress: '192.0.2.10' }).then((xml) => readLoginShareAnswer(xml, 'user'));

  it('is ready only while Redis answers', async () => {
    const ready = await (await fetch(`${a.opsUrl}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', checks: expect.arrayContaining([{ name: 'redis', ok: true, critical: false }]) });
  });

  it('a lockout earned on one replica holds on the other', async () => {
    for (let i = 0; i < 3; i++) await login(i % 2 === 0 ? a : b, 'erin', 'wrong password');
    expect(await login(b, 'erin', 'erin-demo-password')).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/locked/) });
    expect(await login(a, 'erin', 'erin-demo-password')).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/locked/) });
    expect(await login(a, 'alice', 'alice-demo-password')).toMatchObject({ accepted: true });
  });

  it('Redis killed: logins continue, the degradation is counted, readiness says degraded', async () => {
    await redis.stop();
    const started = Date.now();
    expect(await login(a, 'alice', 'alice-demo-password')).toMatchObject({ accepted: true });
    expect(await login(b, 'sam', 'wrong')).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const metrics = await (await fetch(`${a.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/loginshare_cache_degraded_total\{store="redis"\} [1-9]/);
    // Degraded, not unready: every replica loses Redis at once, and pulling them all would stop every login.
    const ready = await fetch(`${a.opsUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', checks: expect.arrayContaining([expect.objectContaining({ name: 'redis', ok: false, critical: false })]) });
    expect(a.logLines.some((l) => String(l['msg']).includes('shared cache unavailable'))).toBe(true);
  });
});
