import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.js';
import { parseRedisUrl, planRedisConnection, type RedisCacheConfig } from '../../src/cache/redis-cache.js';

function singleNodeOptions(config: RedisCacheConfig) {
  const plan = planRedisConnection(config);
  if (plan.kind === 'cluster') throw new Error('expected a single-node plan');
  return plan.options;
}

describe('redis connection plan', () => {
  it('reads host, port, credentials and db from a redis:// URL, with fail-fast defaults and the lsb: prefix', () => {
    const plan = planRedisConnection({ url: 'redis://bridge:s%40cret@cache.internal:6380/2' });
    expect(plan.kind).toBe('standalone');
    const options = singleNodeOptions({ url: 'redis://bridge:s%40cret@cache.internal:6380/2' });
    expect(options).toMatchObject({
      host: 'cache.internal',
      port: 6380,
      username: 'bridge',
      password: 's@cret',
      db: 2,
      keyPrefix: 'lsb:',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      commandTimeout: 1_000,
    });
    expect(options.tls).toBeUndefined();
  });

  it('turns TLS on for rediss://', () => {
    expect(singleNodeOptions({ url: 'rediss://cache.internal' }).tls).toEqual({});
    expect(parseRedisUrl('rediss://cache.internal')).toMatchObject({ port: 6379, tls: true });
  });

  it('lets the config password override one in the URL', () => {
    expect(singleNodeOptions({ url: 'redis://:old@h:1', password: 'new' }).password).toBe('new');
  });

  it('uses the configured timeouts and prefix', () => {
    const plan = planRedisConnection({ url: 'redis://h', connectTimeoutMs: 500, commandTimeoutMs: 250, keyPrefix: 'kayako1:' });
    expect(plan.options).toMatchObject({ connectTimeout: 500, commandTimeout: 250, keyPrefix: 'kayako1:' });
  });

  it('plans a sentinel connection with the master name, keeping URL credentials', () => {
    const plan = planRedisConnection({
      url: 'rediss://:pw@ignored-host',
      sentinels: { hosts: [{ host: 's1', port: 26379 }], masterName: 'mymaster', password: 'sentinel-pw' },
    });
    expect(plan).toMatchObject({
      kind: 'sentinel',
      options: { sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster', password: 'pw', sentinelPassword: 'sentinel-pw', enableTLSForSentinelMode: true },
    });
  });

  it('plans a cluster connection from seed nodes', () => {
    const plan = planRedisConnection({ url: 'redis://:pw@ignored', cluster: { nodes: ['redis://n1:7000', 'redis://n2:7001'] } });
    expect(plan.kind).toBe('cluster');
    if (plan.kind !== 'cluster') return;
    expect(plan.nodes).toEqual([{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }]);
    expect(plan.options).toMatchObject({ keyPrefix: 'lsb:', enableOfflineQueue: false, redisOptions: { password: 'pw', enableOfflineQueue: false } });
  });

  it('rejects other schemes and non-URLs with a message naming the setting', () => {
    expect(() => parseRedisUrl('http://cache')).toThrow(/cache\.redis\.url.*unsupported scheme/);
    expect(() => parseRedisUrl('cache:6379')).toThrow(/cache\.redis\.url/);
    expect(() => parseRedisUrl('redis://h/notanumber')).toThrow(/database number/);
  });
});

describe('createCache', () => {
  it('is memory only without redis', async () => {
    const cache = await createCache({ maxEntries: 100 });
    expect(cache.kind).toBe('memory');
    await cache.set('k', 'v', 1_000);
    expect(await cache.get('k')).toBe('v');
  });
});
