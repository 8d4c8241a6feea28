import { createHash } from 'node:crypto';
import type { KeyValueCache } from '../cache/cache.js';
import { createCoalescer } from '../cache/coalesce.js';
import { abortable } from '../login/abortable.js';
import type { GroupResolver } from './group-resolver.js';
import { within } from '../login/deadline.js';

/** What the bridge hands every connector so its group lookups share one cache (memory, or Redis + memory). */
export interface GroupCacheOptions {
  cache: KeyValueCache;
  /** config `cache.groupsTtlSeconds`; 0 turns caching off (lookups are still coalesced). */
  ttlSeconds: number;
  /** Metrics: one call per lookup, `hit` when the cache answered. */
  onResult?(result: 'hit' | 'miss'): void;
}

export interface CachedGroupResolverOptions extends GroupCacheOptions {
  connectorId: string;
  /**
   * Bound on the one shared upstream lookup. It cannot use the first caller's signal (that caller giving up
   * must not fail the others waiting on it — see coalesce.ts); each caller still stops at its own deadline.
   */
  lookupTimeoutMs: number;
}

/**
 * Remembers a resolver's answer per realm + connector + subject for the TTL and lets concurrent logins of one
 * person share a single upstream lookup. Only the group list is stored — never the access token the lookup
 * used — and failures are not remembered. A cache that fails is skipped (the bridge's cache already falls
 * back to memory when Redis is down; this also covers a bare one): a slower login, never a failed one.
 */
export function createCachedGroupResolver(inner: GroupResolver, options: CachedGroupResolverOptions): GroupResolver {
  const coalesce = createCoalescer();
  const ttlMs = options.ttlSeconds * 1000;
  return {
    async resolve(lookup, deadline) {
      const key = groupCacheKey(lookup.realmId, options.connectorId, lookup.identity.subject);
      const cached = ttlMs > 0 ? await readGroups(options.cache, key) : undefined;
      if (cached !== undefined) {
        options.onResult?.('hit');
        return cached;
      }
      options.onResult?.('miss');
      const shared = coalesce(key, async () => {
        const groups = await within(options.lookupTimeoutMs, 'group lookup timed out', (lookupDeadline) => inner.resolve(lookup, lookupDeadline));
        if (ttlMs > 0) await options.cache.set(key, JSON.stringify(groups), ttlMs).catch(() => undefined);
        return groups;
      });
      return abortable(shared, deadline.signal);
    },
  };
}

/**
 * `groups:<realm>:<connector>:<sha256(subject)>` (the Redis client adds its prefix, `lsb:` by default). The
 * subject is hashed: an LDAP DN or an email-like `sub` need not be readable by whoever can list Redis keys.
 */
export function groupCacheKey(realmId: string, connectorId: string, subject: string): string {
  const hashedSubject = createHash('sha256').update(subject).digest('base64url');
  return `groups:${encodeURIComponent(realmId)}:${encodeURIComponent(connectorId)}:${hashedSubject}`;
}

async function readGroups(cache: KeyValueCache, key: string): Promise<string[] | undefined> {
  let text: string | undefined;
  try {
    text = await cache.get(key);
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    // Anything else (another version's format, a stray key) is a miss, not a group list.
    if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return value as string[];
  } catch {
    // fall through
  }
  return undefined;
}
