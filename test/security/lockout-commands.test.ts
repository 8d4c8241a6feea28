import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import { createLockoutAdminApp } from '../../src/http/lockout-admin.js';
import { createOpsApp } from '../../src/http/ops-app.js';
import { createLoginThrottle, type LoginThrottle, type ThrottleStore } from '../../src/security/login-throttle.js';
import { runLockouts } from '../../src/cli/lockouts.js';
import { runUnlock } from '../../src/cli/unlock.js';
import { Registry } from 'prom-client';
import { runCli } from '../support/cli-runner.js';
import { describeWithServer } from '../support/require-server.js';

/**
 * Operators clearing and listing the bridge's own lockouts: the throttle's lockouts()/unlock() in memory and in
 * a real redis-server, the ops port's /admin endpoints behind their token, and the `unlock` / `lockouts`
 * commands (straight to Redis, or through a running bridge's ops port), each with its audit line.
 */
const settings = {
  lockout: { maxFailures: 2, windowSeconds: 60, lockSeconds: 300 },
  rateLimit: { perIpPerMinute: 1000, perUsernamePerMinute: 1000 },
};

async function lock(throttle: LoginThrottle, realm: string, username: string): Promise<void> {
  for (let i = 0; i < settings.lockout.maxFailures; i++) await throttle.forLogin(realm, username).recordFailure();
  expect(await throttle.forLogin(realm, username).admit('198.51.100.1')).toBe('locked');
}

function auditCapture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
  return { logger: pino(stream).child({ stream: 'audit' }), lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const stores: Array<[string, () => ThrottleStore]> = [
  ['in memory', () => ({ kind: 'memory', maxEntries: 1000 })],
  ['in a shared store', () => ({ kind: 'shared', cache: createMemoryCache({ maxEntries: 1000 }) })],
];

describe.each(stores)('lockouts kept %s', (_name, store) => {
  it('lists who is locked, per realm or all, and unlock clears one lock so the next login is let through', async () => {
    const throttle = createLoginThrottle(store(), settings);
    await lock(throttle, 'corp', 'Una@Corp.Example');
    await lock(throttle, 'partners', 'pat');
    await throttle.forLogin('corp', 'ivo').recordFailure(); // one failure: not locked

    const all = await throttle.lockouts();
    expect(all.map((l) => `${l.realmId}/${l.username}`).sort()).toEqual(['corp/una@corp.example', 'partners/pat']);
    const until = all[0]!.lockedUntil.getTime() - Date.now();
    expect(until).toBeGreaterThan(290_000);
    expect(until).toBeLessThanOrEqual(300_000);
    expect((await throttle.lockouts('corp')).map((l) => l.username)).toEqual(['una@corp.example']);

    expect(await throttle.unlock('corp', 'UNA@corp.example')).toBe(true);
    expect(await throttle.forLogin('corp', 'una@corp.example').admit('198.51.100.1')).toBe('allowed');
    expect((await throttle.lockouts()).map((l) => l.username)).toEqual(['pat']);
    // The failures counted towards the next lock went with it: one more wrong password does not lock again.
    expect(await throttle.forLogin('corp', 'una@corp.example').recordFailure()).toBe(false);
    expect(await throttle.unlock('corp', 'nobody')).toBe(false);
  });
});

describe('the ops port /admin endpoints', () => {
  const token = 'a-long-admin-token-0123456789';
  const setup = async () => {
    const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 100 }, settings);
    await lock(throttle, 'corp', 'una');
    const audit = auditCapture();
    const admin = createLockoutAdminApp({ token, throttle, realmIds: new Set(['corp']), audit: audit.logger });
    const app = createOpsApp({ registry: new Registry(), readiness: { report: () => ({ status: 'ready' as const, ready: true, checks: [], ageMs: 0 }) }, admin });
    return { app, audit, throttle };
  };
  const auth = { authorization: `Bearer ${token}` };

  it('refuses a call without the token, or with another one', async () => {
    const { app, audit } = await setup();
    expect((await app.request('/admin/lockouts')).status).toBe(401);
    expect((await app.request('/admin/unlock', { method: 'POST', headers: { authorization: 'Bearer wrong-token-0123456789' }, body: '{}' })).status).toBe(401);
    expect(audit.lines()).toEqual([]);
  });

  it('lists and clears lockouts, with an audit line for each', async () => {
    const { app, audit, throttle } = await setup();
    const listed = await app.request('/admin/lockouts?realm=corp', { headers: auth });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { lockouts: Array<{ username: string }> }).lockouts.map((l) => l.username)).toEqual(['una']);
    const cleared = await app.request('/admin/unlock', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ realm: 'corp', username: 'una' }) });
    expect(await cleared.json()).toEqual({ realm: 'corp', username: 'una', wasLocked: true });
    expect(await throttle.lockouts()).toEqual([]);
    expect(audit.lines().map(({ event, via, realm, username, wasLocked, count }) => ({ event, via, realm, username, wasLocked, count }))).toEqual([
      { event: 'lockouts_listed', via: 'ops-api', realm: 'corp', username: undefined, wasLocked: undefined, count: 1 },
      { event: 'unlock', via: 'ops-api', realm: 'corp', username: 'una', wasLocked: true, count: undefined },
    ]);
  });

  it('says what is wrong with a bad request or an unknown realm', async () => {
    const { app } = await setup();
    const bad = await app.request('/admin/unlock', { method: 'POST', headers: auth, body: 'realm=corp' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/"realm".*"username"/);
    const unknown = await app.request('/admin/unlock', { method: 'POST', headers: auth, body: JSON.stringify({ realm: 'corpp', username: 'una' }) });
    expect(unknown.status).toBe(404);
  });

  it('is not there at all without ops.adminToken', async () => {
    const app = createOpsApp({ registry: new Registry(), readiness: { report: () => ({ status: 'ready' as const, ready: true, checks: [], ageMs: 0 }) } });
    expect((await app.request('/admin/lockouts', { headers: auth })).status).toBe(404);
  });
});

describe('the unlock and lockouts commands through a running bridge\'s ops port (lockouts in memory)', () => {
  const token = 'a-long-admin-token-0123456789';
  const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 100 }, settings);
  const audit = auditCapture();
  const opsApp = createOpsApp({ registry: new Registry(), readiness: { report: () => ({ status: 'ready' as const, ready: true, checks: [], ageMs: 0 }) }, admin: createLockoutAdminApp({ token, throttle, realmIds: new Set(['corp']), audit: audit.logger }) });
  let server: Server | undefined;
  const url = async () => {
    server ??= await new Promise<Server>((resolve) => {
      const s = createServer(getRequestListener(opsApp.fetch));
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('lists, unlocks, and says when there was nothing to clear', async () => {
    await lock(throttle, 'corp', 'una');
    const env = { LOGINSHARE_OPS_ADMIN_TOKEN: token };
    const listed = await runCli(runLockouts, ['--ops-url', await url()], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^REALM\s+USERNAME\s+LOCKED UNTIL\s+LEFT\ncorp\s+una\s+\d{4}-\d\d-\d\dT/);
    const first = await runCli(runUnlock, ['--realm', 'corp', '--ops-url', await url(), 'una'], { env });
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^unlocked una in realm corp/) });
    const again = await runCli(runUnlock, ['--realm', 'corp', '--ops-url', await url(), 'una'], { env });
    expect(again).toMatchObject({ code: 1, stdout: expect.stringMatching(/una was not locked in realm corp/) });
    expect(audit.lines().filter((l) => l['event'] === 'unlock').map((l) => l['wasLocked'])).toEqual([true, false]);
  });

  it('is an error without the token, with a wrong one, or without --realm', async () => {
    const noToken = await runCli(runUnlock, ['--realm', 'corp', '--ops-url', await url(), 'una']);
    expect(noToken).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs the ops port's admin token in LOGINSHARE_OPS_ADMIN_TOKEN/) });
    const wrong = await runCli(runLockouts, ['--ops-url', await url()], { env: { LOGINSHARE_OPS_ADMIN_TOKEN: 'not-the-token-0123456789' } });
    expect(wrong).toMatchObject({ code: 2, stderr: expect.stringMatching(/refused the token.*\(401\)/) });
    const noRealm = await runCli(runUnlock, ['--ops-url', await url(), 'una'], { env: { LOGINSHARE_OPS_ADMIN_TOKEN: token } });
    expect(noRealm).toMatchObject({ code: 2, stderr: expect.stringMatching(/^unlock: --realm ID is required/) });
  });

  it('without --ops-url and no Redis in the config, says to ask the replica', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-unlock-'));
    const config = join(dir, 'config.yaml');
    await writeFile(config, 'connectors:\n  - { id: local, type: local, users: [] }\nrealms:\n  - id: corp\n    secret: 0123456789abcdef0123\n    rules: rules.yaml\n    connectors: [{ use: local }]\n');
    const result = await runCli(runUnlock, ['--realm', 'corp', '--config', config, 'una']);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringMatching(/has no cache\.redis: each replica keeps its lockouts in its own memory.*--ops-url/) });
  });

  it('with a Redis in the config that does not answer, names that Redis and the config file', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const dir = await mkdtemp(join(tmpdir(), 'lsb-lockouts-'));
    const config = join(dir, 'config.yaml');
    await writeFile(config, `cache:\n  redis: { url: "redis://127.0.0.1:${closed}", connectTimeoutMs: 300 }\nconnectors:\n  - { id: local, type: local, users: [] }\nrealms:\n  - id: corp\n    secret: 0123456789abcdef0123\n    rules: rules.yaml\n    connectors: [{ use: local }]\n`);
    const listed = await runCli(runLockouts, ['--config', config]);
    expect(listed).toMatchObject({ code: 2, stderr: expect.stringContaining(`lockouts: Redis redis://127.0.0.1:${closed} (cache.redis in ${config}) did not answer: `) });
    const unlocked = await runCli(runUnlock, ['--realm', 'corp', '--config', config, 'una']);
    expect(unlocked).toMatchObject({ code: 2, stderr: expect.stringContaining(`unlock: Redis redis://127.0.0.1:${closed} (cache.redis in ${config}) did not answer: `) });
  });
});

describeWithServer('redis', 'lockouts shared through a real redis-server', (redis) => {
  const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  afterAll(() => raw.disconnect());

  it('lists and clears a lock every replica sees, with only a hash of the username in the keys', async () => {
    const keyPrefix = `lsb-test-${randomBytes(4).toString('hex')}:`;
    const cacheA = createRedisCache({ url: redis.url, keyPrefix });
    const cacheB = createRedisCache({ url: redis.url, keyPrefix });
    try {
      const replicaA = createLoginThrottle({ kind: 'shared', cache: cacheA }, settings);
      const replicaB = createLoginThrottle({ kind: 'shared', cache: cacheB }, settings);
      await lock(replicaA, 'corp', 'una@corp.example');
      expect((await replicaB.lockouts()).map((l) => `${l.realmId}/${l.username}`)).toEqual(['corp/una@corp.example']);
      const keys = await raw.keys(`${keyPrefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.includes('una'))).toBe(false);
      expect(await replicaB.unlock('corp', 'una@corp.example')).toBe(true);
      expect(await replicaA.forLogin('corp', 'una@corp.example').admit('198.51.100.1')).toBe('allowed');
      expect(await replicaA.lockouts()).toEqual([]);
    } finally {
      await Promise.all([cacheA.close(), cacheB.close()]);
    }
  });

  it('the commands clear and list it straight in Redis from the config, and audit into the configured file', async () => {
    const keyPrefix = `lsb-test-${randomBytes(4).toString('hex')}:`;
    const dir = await mkdtemp(join(tmpdir(), 'lsb-unlock-'));
    const auditFile = join(dir, 'audit.log');
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      `log: { audit: ${auditFile} }\ncache:\n  redis: { url: "${redis.url}", keyPrefix: "${keyPrefix}" }\n` +
        `security: { lockout: { maxFailures: 2, windowSeconds: 60, lockSeconds: 300 } }\n` +
        'connectors:\n  - { id: local, type: local, users: [] }\nrealms:\n  - id: corp\n    secret: 0123456789abcdef0123\n    rules: rules.yaml\n    connectors: [{ use: local }]\n',
    );
    const cache = createRedisCache({ url: redis.url, keyPrefix });
    try {
      await lock(createLoginThrottle({ kind: 'shared', cache }, settings), 'corp', 'una');
      const listed = await runCli(runLockouts, ['--config', config, '--json']);
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as { lockouts: Array<{ realm: string; username: string }> }).lockouts).toEqual([
        { realm: 'corp', username: 'una', lockedUntil: expect.any(String) },
      ]);
      const unknownRealm = await runCli(runUnlock, ['--config', config, '--realm', 'crop', 'una']);
      expect(unknownRealm).toMatchObject({ code: 2, stderr: expect.stringMatching(/no realm with id "crop".*\(realms: corp\)/) });
      const cleared = await runCli(runUnlock, ['--config', config, '--realm', 'corp', 'una']);
      expect(cleared).toMatchObject({ code: 0, stdout: expect.stringMatching(/^unlocked una in realm corp \(Redis redis:\/\//) });
      expect(cleared.stdout).not.toContain(new URL(redis.url).password || 'no-password-in-url');
      expect(await (await runCli(runLockouts, ['--config', config])).stdout).toMatch(/^nobody is locked out/);
      await sleep(200);
      const lines = (await readFile(auditFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => [l['event'], l['via'], l['realm'], l['wasLocked']])).toEqual([
        ['lockouts_listed', 'cli', null, undefined],
        ['unlock', 'cli', 'corp', true],
        ['lockouts_listed', 'cli', null, undefined],
      ]);
      expect(typeof lines[1]!['by']).toBe('string');
    } finally {
      await cache.close();
    }
  });
});
