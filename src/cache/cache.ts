/**
 * The one storage contract the bridge needs: short-lived strings with a TTL and counters with a window.
 * Group lookups, rate limits and lockouts share it, in memory for one replica or in Redis for several.
 * It never stores a password, a token or anything derived from a password.
 */
export interface KeyValueCache {
  /** `memory` or `redis`: for logs, metrics and readiness. */
  readonly kind: string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Reads and removes in one step, so of two replicas taking the same key only one gets the value (single-use
   * sign-in codes). Optional for stores that have no such step; what needs it says so in its type.
   */
  take?(key: string): Promise<string | undefined>;
  /** Adds 1 and returns the new count; the window (TTL) starts with the first increment. */
  increment(key: string, windowMs: number): Promise<number>;
  /** Readiness: resolves when the store answers, rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
