import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { KeyValueCache } from '../../src/cache/cache.js';
import { createRedisCache, type RedisCacheConfig } from '../../src/cache/redis-cache.js';
import { DEMO_CONFIG_PATH } from '../../src/cli/config-path.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { createLoginThrottle, type ThrottleSettings } from '../../src/security/login-throttle.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { describeWithServer } from '../support/require-server.js';
import { startRedisCluster, type RedisClusterSetup } from '../support/servers/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelSetup } from '../support/servers/redis-sentinel.js';

/**
 * The two highly available Redis shapes operators run, for real: a Sentinel-managed master with a replica
 * (and its failover under login load), and a three-master Redis Cluster. Each suite starts its own servers
 * (test/support/servers/redis-sentinel.ts, redis-cluster.ts), so it needs the redis-server the run has.
 */

const SECRET = 'demo-secret-not-for-production';
const settings: ThrottleSettings = {
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 },
  rateLimit: { perIpPerMinute: 5, perUsernamePerMinute: 100 },
};

function bridgeConfig(demo: string, redisYaml: string): string {
  return `${demo}
cache:
  redis:
${redisYaml}
    connectTimeoutMs: 1000
    commandTimeoutMs: 500
security:
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 }
  rateLimit: { perIpPerMinute: 1000000, perUsernamePerMinute: 1000000 }
`;
}

async function demoFiles(): Promise<{ demo: string; rules: string }> {
  return {
    demo: await readFile(DEMO_CONFIG_PATH, 'utf8'),
    rules: await readFile(DEMO_CONFIG_PATH.replace('config.yaml', 'rules.yaml'), 'utf8'),
  };
}

const login = (replica: TestBridge, username: string, password: string, ipaddress = '192.0.2.10') =>
  replica.post(`/loginshare/demo/user?key=${SECRET}`, { username, password, ipaddress }).then((xml) => ({ xml, answer: readLoginShareAnswer(xml, 'user') }));

/** The throttle through `cache`, as two replicas see it: rate limit and lockout shared. */
async function expectSharedThrottle(first: KeyValueCache, second: KeyValueCache): Promise<void> {
  const a = createLoginThrottle({ kind: 'shared', cache: first }, settings);
  const b = createLoginThrottle({ kind: 'shared', cache: second }, settings);
  const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
  const verdicts = [];
  for (let i = 0; i < 7; i++) verdicts.push(await (i % 2 === 0 ? a : b).forLogin('demo', `spray${i}`).admit(ip));
  expect(verdicts).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'rate_limited_ip', 'rate_limited_ip']);
  const user = `kim-${randomBytes(3).toString('hex')}`;
  expect(await a.forLogin('demo', user).recordFailure()).toBe(false);
  expect(await b.forLogin('demo', user).recordFailure()).toBe(false);
  expect(await a.forLogin('demo', user).recordFailure()).toBe(true);
  expect(await b.forLogin('demo', user).admit('203.0.113.1')).toBe('locked');
}

describeWithServer('redis', 'Redis under Sentinel', () => {
  let sentinel: RedisSentinelSetup;
  let files: { demo: string; rules: string };
  const opened: KeyValueCache[] = [];
  const bridges: TestBridge[] = [];
  const cacheConfig = (): RedisCacheConfig => ({
    url: sentinel.url,
    keyPrefix: 'lsb-sentinel:',
    sentinels: { hosts: sentinel.sentinels, masterName: sentinel.masterName, password: sentinel.sentinelPassword },
    connectTimeoutMs: 1_000,
    commandTimeoutMs: 500,
  });

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    files = await demoFiles();
  });
  afterAll(async () => {
    await Promise.allSettled(bridges.map((b) => b.stop()));
    await Promise.allSettled(opened.map((c) => c.close()));
    await sentinel?.stop();
  });

  it('without the sentinels\' password no master is found: calls fail within the connect timeout', async () => {
    const cache = createRedisCache({ ...cacheConfig(), sentinels: { hosts: sentinel.sentinels, masterName: sentinel.masterName }, connectTimeoutMs: 500 });
    opened.push(cache);
    const started = Date.now();
    await expect(cache.ping()).rejects.toThrow(/Redis/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('finds the master through the sentinels: values, counters, the one-script admit and lockouts are shared', async () => {
    const first = createRedisCache(cacheConfig());
    const second = createRedisCache(cacheConfig());
    opened.push(first, second);
    await first.set('groups:alice', '["Customers"]', 60_000);
    expect(await second.get('groups:alice')).toBe('["Customers"]');
    await expectSharedThrottle(first, second);
    // Written to the master the sentinels name, not to the replica's address.
    const master = new Redis({ host: '127.0.0.1', port: await sentinel.masterPort(), password: sentinel.password, lazyConnect: true });
    await master.connect();
    expect(await master.get('lsb-sentinel:groups:alice')).toBe('["Customers"]');
    master.disconnect();
  });

  it('the master fails over under login load: every login is answered, and both replicas share Redis again', async () => {
    const sentinelYaml = [
      `    url: ${sentinel.url}`,
      '    keyPrefix: "lsb-failover:"',
      '    sentinels:',
      `      masterName: ${sentinel.masterName}`,
      `      password: ${sentinel.sentinelPassword}`,
      '      hosts:',
      ...sentinel.sentinels.map((s) => `        - { host: ${s.host}, port: ${s.port} }`),
    ].join('\n');
    const config = bridgeConfig(files.demo, sentinelYaml);
    const a = await startTestBridge({ config, rules: files.rules });
    bridges.push(a);
    const b = await startTestBridge({ config, rules: files.rules });
    bridges.push(b);
    expect((await login(a, 'alice', 'alice-demo-password')).answer.accepted).toBe(true);

    // Logins keep coming from several Kayako workers while the master dies and the sentinels promote its replica.
    const answers: { accepted: boolean; xml: string; ms: number }[] = [];
    let loading = true;
    const worker = async (n: number): Promise<void> => {
      for (let i = 0; loading; i++) {
        const started = Date.now();
        const { xml, answer } = await login(n % 2 === 0 ? a : b, 'alice', 'alice-demo-password', `198.51.100.${n}`);
        answers.push({ accepted: answer.accepted, xml, ms: Date.now() - started });
      }
    };
    const workers = Array.from({ length: 6 }, (_, n) => worker(n));
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(10), { timeout: 20_000 });
    const { from, to } = await sentinel.failover();
    expect(to).not.toBe(from);
    const duringFailover = answers.length;
    // Keep the load on until both replicas are back on the (new) master.
    await vi.waitFor(async () => {
      // A new name each try: while a replica still runs on its own memory, failures counted there in earlier tries
      // would lock the name on b by themselves.
      const user = `lee-${randomBytes(3).toString('hex')}`;
      for (let i = 0; i < 3; i++) await login(a, user, 'wrong password');
      // Locked on a and seen on b only if both write to and read from the same, new master.
      expect((await login(b, user, 'anything')).answer).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/locked/) });
    }, { timeout: 30_000, interval: 500 });
    loading = false;
    await Promise.all(workers);

    expect(answers.length).toBeGreaterThan(duringFailover);
    const refused = answers.filter((answer) => !answer.accepted);
    expect(refused.map((answer) => answer.xml)).toEqual([]);
    // A dead master costs a login at most the command timeout, never a hang.
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(5_000);

    const master = new Redis({ host: '127.0.0.1', port: to, password: sentinel.password, lazyConnect: true });
    await master.connect();
    expect((await master.keys('lsb-failover:lock:*')).length).toBeGreaterThan(0);
    master.disconnect();
  }, 120_000);
});

describeWithServer('redis', 'Redis Cluster (three masters)', () => {
  let cluster: RedisClusterSetup;
  let files: { demo: string; rules: string };
  const opened: KeyValueCache[] = [];
  const bridges: TestBridge[] = [];
  const cacheConfig = (): RedisCacheConfig => ({
    url: cluster.url,
    keyPrefix: 'lsb-cluster:',
    cluster: { nodes: cluster.nodeUrls },
    connectTimeoutMs: 2_000,
    commandTimeoutMs: 1_000,
  });

  beforeAll(async () => {
    cluster = await startRedisCluster();
    files = await demoFiles();
  });
  afterAll(async () => {
    await Promise.allSettled(bridges.map((b) => b.stop()));
    await Promise.allSettled(opened.map((c) => c.close()));
    await cluster?.stop();
  });

  it('spreads keys over the masters, and the one-script admit runs on one slot (no CROSSSLOT)', async () => {
    const first = createRedisCache(cacheConfig());
    const second = createRedisCache(cacheConfig());
    opened.push(first, second);
    for (let i = 0; i < 30; i++) await first.set(`groups:user${i}`, `["g${i}"]`, 60_000);
    expect(await second.get('groups:user17')).toBe('["g17"]');
    const perNode = await Promise.all(cluster.nodes.map(async ({ host, port }) => {
      const node = new Redis({ host, port, password: cluster.password, lazyConnect: true });
      await node.connect();
      const keys = await node.keys('lsb-cluster:groups:*');
      node.disconnect();
      return keys.length;
    }));
    expect(perNode.reduce((sum, n) => sum + n, 0)).toBe(30);
    expect(perNode.filter((n) => n > 0).length).toBeGreaterThan(1);
    await expectSharedThrottle(first, second);
  });

  it('two bridge replicas on the cluster log users in and share a lockout', async () => {
    const clusterYaml = [
      `    url: ${cluster.url}`,
      '    keyPrefix: "lsb-cluster-bridge:"',
      '    cluster:',
      '      nodes:',
      ...cluster.nodeUrls.map((url) => `        - ${url}`),
    ].join('\n');
    const config = bridgeConfig(files.demo, clusterYaml);
    const a = await startTestBridge({ config, rules: files.rules });
    bridges.push(a);
    const b = await startTestBridge({ config, rules: files.rules });
    bridges.push(b);
    // As behind a Service: logins reach a replica once its readiness shows the cluster (a replica still
    // connecting counts in its own memory meanwhile, by design).
    for (const replica of [a, b]) await expect.poll(() => redisReady(replica), { timeout: 20_000, interval: 200 }).toBe(true);
    expect((await login(a, 'alice', 'alice-demo-password')).answer.accepted).toBe(true);
    for (let i = 0; i < 3; i++) await login(i % 2 === 0 ? a : b, 'erin', 'wrong password');
    expect((await login(b, 'erin', 'erin-demo-password')).answer).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/locked/) });
    expect((await login(a, 'alice', 'alice-demo-password')).answer.accepted).toBe(true);
    // Through Redis, not each replica's memory fallback.
    expect(a.logLines.some((line) => String(line['msg']).includes('shared cache unavailable'))).toBe(false);
    expect(b.logLines.some((line) => String(line['msg']).includes('shared cache unavailable'))).toBe(false);
  }, 60_000);
});

/** Whether the replica's /readyz has seen its Redis answer. */
async function redisReady(replica: TestBridge): Promise<boolean> {
  const report = (await (await fetch(`${replica.opsUrl}/readyz`)).json()) as { checks: { name: string; ok: boolean }[] };
  return report.checks.some((check) => check.name === 'redis' && check.ok);
}
