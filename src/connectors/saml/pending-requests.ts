import type { CacheItem, CacheProvider } from '@node-saml/node-saml';

/**
 * node-saml's memory of the AuthnRequests still waiting for an answer (`validateInResponseTo: 'always'`): a
 * bounded Map instead of its default cache, which keeps every id for 8 hours behind a timer. A login removes its
 * own id when it is done, answered or not, so entries live only as long as a login does; `maxEntries` and
 * `ttlMs` bound what a crash between the two could leave behind.
 */
export function pendingRequestCache(options: { maxEntries: number; ttlMs: number }): CacheProvider {
  const entries = new Map<string, CacheItem>();
  const evictStale = () => {
    const oldest = Date.now() - options.ttlMs;
    for (const [key, item] of entries) {
      if (item.createdAt >= oldest && entries.size < options.maxEntries) break;
      entries.delete(key);
    }
  };
  return {
    async saveAsync(key, value) {
      evictStale();
      if (entries.has(key)) return null;
      const item = { value, createdAt: Date.now() };
      entries.set(key, item);
      return item;
    },
    async getAsync(key) {
      const item = entries.get(key);
      if (!item || item.createdAt < Date.now() - options.ttlMs) return null;
      return item.value;
    },
    async removeAsync(key) {
      if (key === null) return null;
      const item = entries.get(key);
      entries.delete(key);
      return item?.value ?? null;
    },
  };
}
