import { hash } from 'node:crypto';
import type { AdmissionCounter, KeyValueCache } from '../cache/cache.js';
import { WindowCounters } from './window-counters.js';

/**
 * Brute-force protection in front of the IdP: per-address and per-username rate limits, and a lockout after
 * repeated wrong passwords. A locked username is refused without asking the IdP, so an attacker cannot lock
 * the person's corporate account through Kayako.
 *
 * The counts live in this replica's memory, or — with several replicas — in the shared cache (Redis), so the
 * replicas agree; there the admit is one atomic step (one Lua script, one round trip). In memory every step answers at once, without a promise: the throttle runs on every login,
 * and four cache round trips through promises and lru-cache were ~10 % of the bridge's CPU per login at
 * saturation.
 */
export interface ThrottleSettings {
  lockout: { maxFailures: number; windowSeconds: number; lockSeconds: number };
  rateLimit: { perIpPerMinute: number; perUsernamePerMinute: number };
}

/** Where the counts live: this replica's memory (bounded), or the shared cache. */
export type ThrottleStore = { kind: 'memory'; maxEntries: number; now?: () => number } | { kind: 'shared'; cache: KeyValueCache };

export type ThrottleVerdict = 'allowed' | 'locked' | 'rate_limited_ip' | 'rate_limited_username';

export interface LoginThrottle {
  /** The throttle for one login attempt: its keys are derived from the username once. */
  forLogin(realmId: string, username: string): LoginAttemptThrottle;
}

/** Each step answers at once from memory, or with a promise from the shared store. */
export interface LoginAttemptThrottle {
  /** Counts this attempt against the rate limits and says whether it may proceed. */
  admit(endUserIp: string): ThrottleVerdict | Promise<ThrottleVerdict>;
  /** A wrong password; returns true when this failure locked the username. */
  recordFailure(): boolean | Promise<boolean>;
  recordSuccess(): void | Promise<void>;
}

const RATE_WINDOW_MS = 60_000;

export function createLoginThrottle(store: ThrottleStore, settings: ThrottleSettings): LoginThrottle {
  if (store.kind === 'shared') {
    const { cache } = store;
    return { forLogin: (realmId, username) => new SharedAttempt(cache, settings, realmId, userKey(username)) };
  }
  const state: MemoryState = {
    settings,
    perIp: new WindowCounters(RATE_WINDOW_MS, store.maxEntries, store.now),
    perUser: new WindowCounters(RATE_WINDOW_MS, store.maxEntries, store.now),
    failures: new WindowCounters(settings.lockout.windowSeconds * 1000, store.maxEntries, store.now),
    locks: new WindowCounters(settings.lockout.lockSeconds * 1000, store.maxEntries, store.now),
  };
  // In memory the username itself is the key: hashing is for keeping names out of a shared store.
  return { forLogin: (realmId, username) => new MemoryAttempt(state, realmId, `${realmId}:${normalizeUsername(username)}`) };
}

interface MemoryState {
  settings: ThrottleSettings;
  perIp: WindowCounters;
  perUser: WindowCounters;
  failures: WindowCounters;
  /** A lock is a window whose count is above 0. */
  locks: WindowCounters;
}

class MemoryAttempt implements LoginAttemptThrottle {
  constructor(
    private readonly state: MemoryState,
    private readonly realmId: string,
    /** Realm and normalized username. */
    private readonly user: string,
  ) {}

  admit(endUserIp: string): ThrottleVerdict {
    const { state, user } = this;
    const { rateLimit } = state.settings;
    if (state.locks.peek(user) > 0) return 'locked';
    if (endUserIp && state.perIp.count(`${this.realmId}:${endUserIp}`) > rateLimit.perIpPerMinute) return 'rate_limited_ip';
    if (state.perUser.count(user) > rateLimit.perUsernamePerMinute) return 'rate_limited_username';
    return 'allowed';
  }

  recordFailure(): boolean {
    const { state, user } = this;
    if (state.failures.count(user) < state.settings.lockout.maxFailures) return false;
    state.locks.count(user);
    state.failures.delete(user);
    return true;
  }

  recordSuccess(): void {
    this.state.failures.delete(this.user);
  }
}

class SharedAttempt implements LoginAttemptThrottle {
  readonly #lockKey: string;
  readonly #failKey: string;
  readonly #userRateKey: string;
  /**
   * The realm as a Redis Cluster hash tag: a Cluster runs one script only on keys of one slot, and the admit's
   * keys (lock, address, username) are counted in one. One realm's counts then live on one shard.
   */
  readonly #realmTag: string;

  constructor(
    private readonly cache: KeyValueCache,
    private readonly settings: ThrottleSettings,
    realmId: string,
    user: string,
  ) {
    this.#realmTag = `{${realmId}}`;
    this.#lockKey = `lock:${this.#realmTag}:${user}`;
    this.#failKey = `fail:${this.#realmTag}:${user}`;
    this.#userRateKey = `rate:user:${this.#realmTag}:${user}`;
  }

  async admit(endUserIp: string): Promise<ThrottleVerdict> {
    const { rateLimit } = this.settings;
    const counters: AdmissionCounter[] = [];
    const refusals: ThrottleVerdict[] = [];
    if (endUserIp) {
      counters.push({ key: `rate:ip:${this.#realmTag}:${endUserIp}`, windowMs: RATE_WINDOW_MS, limit: rateLimit.perIpPerMinute });
      refusals.push('rate_limited_ip');
    }
    counters.push({ key: this.#userRateKey, windowMs: RATE_WINDOW_MS, limit: rateLimit.perUsernamePerMinute });
    refusals.push('rate_limited_username');
    const verdict = await this.cache.admit({ holdKey: this.#lockKey, counters });
    if (verdict.kind === 'admitted') return 'allowed';
    if (verdict.kind === 'held') return 'locked';
    return refusals[verdict.counter]!;
  }

  async recordFailure(): Promise<boolean> {
    const { lockout } = this.settings;
    const failures = await this.cache.increment(this.#failKey, lockout.windowSeconds * 1000);
    if (failures < lockout.maxFailures) return false;
    await this.cache.set(this.#lockKey, String(Date.now()), lockout.lockSeconds * 1000);
    await this.cache.delete(this.#failKey);
    return true;
  }

  async recordSuccess(): Promise<void> {
    await this.cache.delete(this.#failKey);
  }
}

/** Usernames are case-insensitive at every IdP we serve. */
function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** Hashing keeps usernames out of the shared store's keys. */
function userKey(username: string): string {
  return hash('sha256', normalizeUsername(username), 'base64url').slice(0, 22);
}
