import type { KeyValueCache } from './cache.js';
import { createFailOpenCache, type FailOpenHooks } from './fail-open-cache.js';
import { createMemoryCache } from './memory-cache.js';
import type { RedisCacheConfig } from './redis-cache.js';

export type { KeyValueCache } from './cache.js';
export { createCoalescer, type Coalesce } from './coalesce.js';
export type { FailOpenHooks } from './fail-open-cache.js';
export type { RedisCacheConfig } from './redis-cache.js';

export interface CacheConfig {
  /** Absent: memory only (one replica). */
  redis?: RedisCacheConfig;
  /** Bound on the memory cache (the fallback when Redis is configured). Default 50 000. */
  maxEntries?: number;
}

/**
 * Memory for one replica; Redis (falling back to memory when it fails) when configured. The Redis client is
 * loaded only then: ioredis alone adds ~20 MB to the process's memory.
 */
export async function createCache(config: CacheConfig, hooks: FailOpenHooks = {}): Promise<KeyValueCache> {
  const memory = createMemoryCache({ maxEntries: config.maxEntries ?? 50_000 });
  if (!config.redis) return memory;
  const { createRedisCache } = await import('./redis-cache.js');
  return createFailOpenCache(createRedisCache(config.redis), memory, hooks);
}
