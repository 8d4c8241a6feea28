import { LRUCache } from 'lru-cache';
import type { AdmissionVerdict, CacheEntry, KeyValueCache } from './cache.js';

const ADMITTED: AdmissionVerdict = { kind: 'admitted' };
const HELD: AdmissionVerdict = { kind: 'held' };

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
  // A counter is a mutable box, so counting is one lookup: a string value would need a second `set` (lru-cache's
  // bookkeeping) and a number↔string round trip on every increment. (The throttle counts here only while a
  // configured Redis is failing; without Redis it keeps its own counts, security/window-counters.ts.)
  const entries = new LRUCache<string, string | Counter>({
    max: options.maxEntries,
    // Read the clock on every check: lru-cache's default caches it for 1 ms behind a timer per call.
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
  });
  function increment(key: string, windowMs: number): number {
    const current = entries.get(key);
    if (current === undefined) {
      entries.set(key, { count: 1 }, { ttl: windowMs });
      return 1;
    }
    // The window started with the first increment; counting in the box keeps its expiry.
    if (typeof current === 'object') return ++current.count;
    // A string set by `set`: counted if it is a number, as Redis's INCR does (a new box keeps the expiry).
    const count = /^-?\d+$/.test(current) ? Number(current) : Number.NaN;
    // Same answer Redis gives to INCR on a non-number: a bug in the caller, not a count to guess.
    if (!Number.isSafeInteger(count)) throw new Error(`cache key ${key} does not hold a counter`);
    entries.set(key, { count: count + 1 }, { noUpdateTTL: true });
    return count + 1;
  }

  return {
    kind: 'memory',
    async get(key) {
      const value = entries.get(key);
      // Like Redis, a counter reads back as its decimal string.
      return typeof value === 'object' ? String(value.count) : value;
    },
    async set(key, value, ttlMs) {
      entries.set(key, value, { ttl: ttlMs });
    },
    async delete(key) {
      entries.delete(key);
    },
    async take(key) {
      const value = entries.get(key);
      entries.delete(key);
      return typeof value === 'object' ? String(value.count) : value;
    },
    async increment(key, windowMs) {
      return increment(key, windowMs);
    },
    async admit({ holdKey, counters }) {
      if (entries.get(holdKey) !== undefined) return HELD;
      for (let index = 0; index < counters.length; index++) {
        const { key, windowMs, limit } = counters[index]!;
        if (increment(key, windowMs) > limit) return { kind: 'over_limit', counter: index };
      }
      return ADMITTED;
    },
    async list(prefix) {
      const found: CacheEntry[] = [];
      for (const [key, value] of entries.entries()) {
        if (!key.startsWith(prefix)) continue;
        const ttl = entries.getRemainingTTL(key);
        found.push({ key, value: typeof value === 'object' ? String(value.count) : value, ttlMs: Number.isFinite(ttl) && ttl > 0 ? ttl : undefined });
      }
      return found;
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}

interface Counter {
  count: number;
}
