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
  /**
   * One rate-limiting step, atomic (one round trip to Redis): refused at once while `holdKey` exists; otherwise
   * each counter in turn counts this attempt, and the first to go over its limit refuses it (the counters after
   * it are not counted).
   */
  admit(admission: Admission): Promise<AdmissionVerdict>;
  /**
   * The live entries whose key starts with `prefix`, with the time they have left: for operators' commands
   * (who is locked now), never on a login's path. Optional: a store that cannot list has nothing to show.
   */
  list?(prefix: string): Promise<CacheEntry[]>;
  /** Readiness: resolves when the store answers, rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Admission {
  /** While this key exists the attempt is refused without being counted (a lockout). */
  holdKey: string;
  counters: readonly AdmissionCounter[];
}

export interface AdmissionCounter {
  key: string;
  /** As `increment`: the window starts with the key's first count. */
  windowMs: number;
  /** The most attempts the window admits. */
  limit: number;
}

/** `over_limit` names the counter (its index in `counters`) whose limit this attempt went over. */
export type AdmissionVerdict = { kind: 'admitted' } | { kind: 'held' } | { kind: 'over_limit'; counter: number };

export interface CacheEntry {
  key: string;
  value: string;
  /** Milliseconds until it expires; undefined when it has no expiry. */
  ttlMs: number | undefined;
}
