import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import type { KeyValueCache } from '../../src/cache/cache.js';
import { createCoalescer } from '../../src/cache/coalesce.js';
import { createFailOpenCache } from '../../src/cache/fail-open-cache.js';
import { createCache } from '../../src/cache/index.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import { freeLoopbackPort } from '../support/servers/free-port.js';
import { startRedis, type RedisServer } from '../support/servers/redis.js';
import { describeWithServer } from '../support/require-server.js';

/** Each test gets its own key prefix: the run's Redis is shared with other test files. */
function uniquePrefix(): string {
  return `lsb-test-${randomBytes(4).toString('hex')}:`;
}

describeWithServer('redis', 'Redis cache against a real redis-server', (redis) => {
  const opened: KeyValueCache[] = [];
  const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  function redisCache(keyPrefix: string): KeyValueCache {
    const cache = createRedisCache({ url: redis.url, keyPrefix });
    opened.push(cache);
    return cache;
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });
  afterAll(() => raw.disconnect());

  it('answers PING (smoke: the harness Redis is up and needs its password)', async () => {
    await expect(redisCache(uniquePrefix()).ping()).resolves.toBeUndefined();
    const noPassword = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    noPassword.on('error', () => {});
    await expect(noPassword.ping()).rejects.toThrow(/NOAUTH/);
    noPassword.disconnect();
  });

  it('returns a hit until the TTL passes, a miss for unknown keys, and stores keys under the prefix', async () => {
    const prefix = uniquePrefix();
    const cache = redisCache(prefix);
    await cache.set('groups:alice', '["Customers"]', 400);
    expect(await cache.get('groups:alice')).toBe('["Customers"]');
    expect(await cache.get('groups:nobody')).toBeUndefined();
    expect(await raw.get(`${prefix}groups:alice`)).toBe('["Customers"]');
    await sleep(600);
    expect(await cache.get('groups:alice')).toBeUndefined();
  });

  it('deletes', async () => {
    const cache = redisCache(uniquePrefix());
    await cache.set('k', 'v', 60_000);
    await cache.delete('k');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('counts within a window that the first increment starts and later ones do not extend', async () => {
    const prefix = uniquePrefix();
    const cache = redisCache(prefix);
    expect(await cache.increment('fail:alice', 800)).toBe(1);
    const ttlAtStart = await raw.pttl(`${prefix}fail:alice`);
    expect(ttlAtStart).toBeGreaterThan(0);
    expect(ttlAtStart).toBeLessThanOrEqual(800);
    await sleep(300);
    expect(await cache.increment('fail:alice', 800)).toBe(2);
    expect(await raw.pttl(`${prefix}fail:alice`)).toBeLessThanOrEqual(ttlAtStart - 250);
    await sleep(700);
    expect(await cache.increment('fail:alice', 800)).toBe(1);
  });

  it('gives a counter left without an expiry one on the next increment, so it cannot count forever', async () => {
    const prefix = uniquePrefix();
    await raw.set(`${prefix}rate:ip`, '7');
    expect(await redisCache(prefix).increment('rate:ip', 5_000)).toBe(8);
    expect(await raw.pttl(`${prefix}rate:ip`)).toBeGreaterThan(0);
  });

  it('shares state between two replicas: values and counters', async () => {
    const prefix = uniquePrefix();
    const replicaA = redisCache(prefix);
    const replicaB = redisCache(prefix);
    await replicaA.set('groups:bob', '["Helpdesk-Agents"]', 60_000);
    expect(await replicaB.get('groups:bob')).toBe('["Helpdesk-Agents"]');
    const counts = await Promise.all([
      replicaA.increment('fail:bob', 60_000),
      replicaB.increment('fail:bob', 60_000),
      replicaA.increment('fail:bob', 60_000),
      replicaB.increment('fail:bob', 60_000),
    ]);
    expect(counts.sort()).toEqual([1, 2, 3, 4]);
    await replicaB.delete('groups:bob');
    expect(await replicaA.get('groups:bob')).toBeUndefined();
  });

  it('coalesces concurrent lookups for one key into one upstream call whose result both replicas then share', async () => {
    const prefix = uniquePrefix();
    const cache = redisCache(prefix);
    const coalesce = createCoalescer();
    let upstreamCalls = 0;
    const resolveGroups = (user: string) =>
      coalesce(`groups:${user}`, async () => {
        const cached = await cache.get(`groups:${user}`);
        if (cached !== undefined) return cached;
        upstreamCalls++;
        await sleep(50);
        await cache.set(`groups:${user}`, '["Customers","Enterprise"]', 60_000);
        return '["Customers","Enterprise"]';
      });
    const answers = await Promise.all(Array.from({ length: 10 }, () => resolveGroups('alice')));
    expect(new Set(answers)).toEqual(new Set(['["Customers","Enterprise"]']));
    expect(upstreamCalls).toBe(1);
    expect(await redisCache(prefix).get('groups:alice')).toBe('["Customers","Enterprise"]');
  });

  it('createCache with a redis section shares through Redis', async () => {
    const prefix = uniquePrefix();
    const first = await createCache({ redis: { url: redis.url, keyPrefix: prefix } });
    const second = await createCache({ redis: { url: redis.url, keyPrefix: prefix } });
    opened.push(first, second);
    expect(first.kind).toBe('redis');
    await first.set('k', 'shared', 60_000);
    expect(await second.get('k')).toBe('shared');
  });
});

// Needs its own redis-server (the run's shared one must not be killed), so it runs wherever the harness
// could start one.
describeWithServer('redis', 'fail-open cache when Redis dies and comes back', () => {
  let own: RedisServer | undefined;
  beforeAll(async () => {
    own = await startRedis();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('answers from memory while Redis is down, reports it, fails fast, and uses Redis again once it is back', async () => {
    if (!own) throw new Error('no redis-server');
    const { port, password, url } = own;
    const onDegraded = vi.fn();
    const onRecovered = vi.fn();
    const cache = createFailOpenCache(
      createRedisCache({ url, keyPrefix: 'lsb:', connectTimeoutMs: 500, commandTimeoutMs: 500 }),
      createMemoryCache({ maxEntries: 1_000 }),
      { onDegraded, onRecovered },
      { retryAfterMs: 200 },
    );
    try {
      await cache.set('groups:alice', 'from redis', 60_000);
      expect(await cache.get('groups:alice')).toBe('from redis');

      await own.stop();
      const startedAt = Date.now();
      // Only Redis had this key: memory answers "miss" — a slower login (groups looked up again), not a failed one.
      expect(await cache.get('groups:alice')).toBeUndefined();
      expect(Date.now() - startedAt).toBeLessThan(400);
      expect(onDegraded).toHaveBeenCalledTimes(1);
      await cache.set('groups:bob', 'from memory', 60_000);
      expect(await cache.get('groups:bob')).toBe('from memory');
      expect(await cache.increment('fail:bob', 60_000)).toBe(1);
      expect(await cache.increment('fail:bob', 60_000)).toBe(2);
      await expect(cache.ping()).resolves.toBeUndefined();

      own = await startRedis({ port, password });
      const writer = new Redis(own.url, { maxRetriesPerRequest: 1 });
      await writer.set('lsb:groups:carol', 'written to the new redis', 'PX', 60_000);
      writer.disconnect();
      // ioredis reconnects in the background (retry ≤ 2 s); the cache tries Redis again every 200 ms.
      await vi.waitFor(async () => expect(await cache.get('groups:carol')).toBe('written to the new redis'), { timeout: 10_000, interval: 200 });
      expect(onRecovered).toHaveBeenCalled();
    } finally {
      await cache.close();
    }
  });

  it('answers from memory within the connect timeout when Redis was never reachable', async () => {
    const closedPort = await freeLoopbackPort();
    const onDegraded = vi.fn();
    const cache = await createCache({ redis: { url: `redis://127.0.0.1:${closedPort}`, connectTimeoutMs: 300 } }, { onDegraded });
    try {
      const startedAt = Date.now();
      await cache.set('k', 'v', 60_000);
      expect(await cache.get('k')).toBe('v');
      expect(Date.now() - startedAt).toBeLessThan(1_500);
      expect(onDegraded).toHaveBeenCalledTimes(1);
    } finally {
      await cache.close();
    }
  });
});
