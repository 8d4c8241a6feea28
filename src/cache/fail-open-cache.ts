import type { KeyValueCache } from './cache.js';

export interface FailOpenHooks {
  /**
   * The shared store failed and this call was answered from memory. Called when the store first fails,
   * then at most once per `reportEveryMs` while it keeps failing, so a dead Redis is not a log line per login.
   */
  onDegraded?(err: Error): void;
  /** The shared store answered again after a failure. */
  onRecovered?(): void;
}

export interface FailOpenOptions {
  /** After a failure, calls go straight to memory for this long before the shared store is tried again. Default 2000. */
  retryAfterMs?: number;
  /** Default 30 000. */
  reportEveryMs?: number;
  now?: () => number;
}

/**
 * Redis down must mean slower or less shared, never a failed login: every call tries the shared store
 * and, if it fails, answers from this replica's memory instead. While degraded, rate limits and lockout
 * counters are per replica and group lookups are cached per replica.
 *
 * After a failure the shared store is skipped for `retryAfterMs`, so a Redis that hangs until the command
 * timeout costs one slow call, not one per request.
 */
export function createFailOpenCache(
  shared: KeyValueCache,
  fallback: KeyValueCache,
  hooks: FailOpenHooks = {},
  options: FailOpenOptions = {},
): KeyValueCache {
  const retryAfterMs = options.retryAfterMs ?? 2_000;
  const reportEveryMs = options.reportEveryMs ?? 30_000;
  const now = options.now ?? Date.now;
  let skipSharedUntil = 0;
  let degraded = false;
  let lastReportAt = Number.NEGATIVE_INFINITY;

  function degrade(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    const at = now();
    skipSharedUntil = at + retryAfterMs;
    if (!degraded || at - lastReportAt >= reportEveryMs) {
      lastReportAt = at;
      hooks.onDegraded?.(error);
    }
    degraded = true;
  }

  async function use<T>(operation: (store: KeyValueCache) => Promise<T>): Promise<T> {
    if (now() < skipSharedUntil) return operation(fallback);
    try {
      const result = await operation(shared);
      if (degraded) {
        degraded = false;
        hooks.onRecovered?.();
      }
      return result;
    } catch (err) {
      degrade(err);
      return operation(fallback);
    }
  }

  return {
    kind: shared.kind,
    get: (key) => use((store) => store.get(key)),
    set: (key, value, ttlMs) => use((store) => store.set(key, value, ttlMs)),
    delete: (key) => use((store) => store.delete(key)),
    ...(shared.take && fallback.take ? { take: (key: string) => use((store) => store.take!(key)) } : {}),
    increment: (key, windowMs) => use((store) => store.increment(key, windowMs)),
    admit: (admission) => use((store) => store.admit(admission)),
    list: (prefix) => use(async (store) => (store.list ? store.list(prefix) : [])),
    // Ready while memory can answer: a Redis outage must not take every replica out of the load balancer.
    // It is reported through onDegraded instead.
    ping: () => use((store) => store.ping()),
    async close() {
      await Promise.allSettled([shared.close(), fallback.close()]);
    },
  };
}
