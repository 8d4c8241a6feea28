import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, expect, it } from 'vitest';
import type { KeyValueCache } from '../../src/cache/cache.js';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import { createLoginThrottle, type ThrottleSettings } from '../../src/security/login-throttle.js';
import { describeWithServer } from '../support/require-server.js';

const settings: ThrottleSettings = {
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 1 },
  rateLimit: { perIpPerMinute: 5, perUsernamePerMinute: 8 },
};

/**
 * The throttle with its counts in a real redis-server: the admit is one atomic script, one round trip, and
 * behaves as the in-memory throttle does (test/security/login-throttle.test.ts).
 */
describeWithServer('redis', 'login throttle in a real Redis', (redis) => {
  const opened: KeyValueCache[] = [];
  const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  function replica(keyPrefix: string): KeyValueCache {
    const cache = createRedisCache({ url: redis.url, keyPrefix });
    opened.push(cache);
    return cache;
  }
  const prefix = (): string => `lsb-throttle-${randomBytes(4).toString('hex')}:`;
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
  });
  afterAll(() => raw.disconnect());

  it('admits, then refuses an address over its limit and a username over its own', async () => {
    const throttle = createLoginThrottle({ kind: 'shared', cache: replica(prefix()) }, settings);
    const byAddress = [];
    for (let i = 0; i < 7; i++) byAddress.push(await throttle.forLogin('r', `user${i}`).admit('198.51.100.7'));
    expect(byAddress).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'rate_limited_ip', 'rate_limited_ip']);
    const byUsername = [];
    for (let i = 0; i < 10; i++) byUsername.push(await throttle.forLogin('r', 'erin').admit(`203.0.113.${i}`));
    expect(byUsername).toEqual([...Array(8).fill('allowed'), 'rate_limited_username', 'rate_limited_username']);
    // No address (Kayako sent none): only the username counts.
    expect(await throttle.forLogin('r', 'frank').admit('')).toBe('allowed');
  });

  it('a locked username is refused without spending the address allowance, and unlocks after the lock period', async () => {
    const throttle = createLoginThrottle({ kind: 'shared', cache: replica(prefix()) }, { ...settings, rateLimit: { perIpPerMinute: 2, perUsernamePerMinute: 100 } });
    for (let i = 0; i < 3; i++) await throttle.forLogin('r', 'gina').recordFailure();
    for (let i = 0; i < 5; i++) expect(await throttle.forLogin('r', 'GINA').admit('198.51.100.20')).toBe('locked');
    expect(await throttle.forLogin('r', 'hank').admit('198.51.100.20')).toBe('allowed');
    expect(await throttle.forLogin('other', 'gina').admit('198.51.100.20')).toBe('allowed');
    await sleep(1_100);
    expect(await throttle.forLogin('r', 'gina').admit('198.51.100.21')).toBe('allowed');
  });

  it('one admit is one round trip to Redis, and every counter it makes expires', async () => {
    const keyPrefix = prefix();
    const throttle = createLoginThrottle({ kind: 'shared', cache: replica(keyPrefix) }, settings);
    await throttle.forLogin('r', 'warmup').admit('192.0.2.1'); // connects and loads the script
    const monitor = await raw.duplicate().monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands a script runs show up as coming from "lua"; only the client's own round trips count here.
      if (source !== 'lua' && args.some((arg) => arg.startsWith(keyPrefix))) seen.push(args);
    });
    await sleep(100);
    for (let i = 0; i < 5; i++) expect(await throttle.forLogin('r', `ivy${i}`).admit('192.0.2.2')).toBe('allowed');
    await sleep(200);
    monitor.disconnect();
    expect(seen.map((args) => args[0]!.toLowerCase())).toEqual(Array(5).fill('evalsha'));
    const keys = await raw.keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) {
      const ttl = await raw.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(60_000);
    }
    // Usernames stay out of the shared store's keys.
    expect(keys.some((key) => key.includes('ivy'))).toBe(false);
  });

  it('two replicas admitting the same address at once admit exactly the limit between them', async () => {
    const keyPrefix = prefix();
    const a = createLoginThrottle({ kind: 'shared', cache: replica(keyPrefix) }, { ...settings, rateLimit: { perIpPerMinute: 25, perUsernamePerMinute: 100 } });
    const b = createLoginThrottle({ kind: 'shared', cache: replica(keyPrefix) }, { ...settings, rateLimit: { perIpPerMinute: 25, perUsernamePerMinute: 100 } });
    const verdicts = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? a : b).forLogin('r', `spray${i}`).admit('198.51.100.99')));
    expect(verdicts.filter((v) => v === 'allowed')).toHaveLength(25);
    expect(verdicts.filter((v) => v === 'rate_limited_ip')).toHaveLength(55);
  });

  it('a lock earned on one replica refuses on the other', async () => {
    const keyPrefix = prefix();
    const a = createLoginThrottle({ kind: 'shared', cache: replica(keyPrefix) }, settings);
    const b = createLoginThrottle({ kind: 'shared', cache: replica(keyPrefix) }, settings);
    expect(await a.forLogin('r', 'jo').recordFailure()).toBe(false);
    expect(await b.forLogin('r', 'jo').recordFailure()).toBe(false);
    expect(await a.forLogin('r', 'jo').recordFailure()).toBe(true);
    expect(await b.forLogin('r', 'jo').admit('192.0.2.30')).toBe('locked');
  });
});
