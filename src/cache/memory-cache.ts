import { LRUCache } from 'lru-cache';
import type { KeyValueCache } from './cache.js';

export interface MemoryCacheOptions {
  /** Upper bound on entries (strings and counters together); the least recently used go first. */
  maxEntries: number;
  /** Milliseconds clock, for tests. Default: performance.now. */
  now?: () => number;
}

/**
 * One replica's cache: bounded, so a flood of distinct usernames or addresses evicts old entries instead
 * of growing the heap. Counters are per replica: with several replicas, configure Redis.
 */
export function createMemoryCache(options: MemoryCacheOptions): KeyValueCache {
  const entries = new LRUCache<string, string>({
    max: options.maxEntries,
    // Read the clock on every check: lru-cache's default caches it for 1 ms behind a timer per call.
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
  });
  return {
    kind: 'memory',
    async get(key) {
      return entries.get(key);
    },
    async set(key, value, ttlMs) {
      entries.set(key, value, { ttl: ttlMs });
    },
    async delete(key) {
      entries.delete(key);
    },
    async increment(key, windowMs) {
      const current = entries.get(key);
      if (current === undefined) {
        entries.set(key, '1', { ttl: windowMs });
        return 1;
      }
      const count = Number.parseInt(current, 10);
      // Same answer Redis gives to INCR on a non-number: a bug in the caller, not a count to guess.
      if (!Number.isSafeInteger(count)) throw new Error(`cache key ${key} does not hold a counter`);
      // The window started with the first increment; later ones keep its expiry.
      entries.set(key, String(count + 1), { noUpdateTTL: true });
      return count + 1;
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
