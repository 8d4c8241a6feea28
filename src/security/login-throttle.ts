import { hash } from 'node:crypto';
import type { AdmissionCounter, KeyValueCache } from '../cache/cache.js';
import { WindowCounters } from './window-counters.js';

/**
 * Brute-force protection in front of the IdP: per-address and per-username rate limits, and a lockout after
 * repeated wrong passwords. A locked username is refused without asking the IdP, so an attacker cannot lock
 * the person's corporate account through Kayako.
 *
 * The counts live in this replica's memory, or — with several replicas — in the shared cache (Redis), so the
 * replicas agree; there the admit is one atomic step (one Lua script, one round trip). In memory every step
 * answers at once, without a promise: the throttle runs on every login, and four cache round trips through
 * promises and lru-cache were ~10 % of the bridge's CPU per login at saturation.
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
  /** Who is locked now (in one realm, or all), soonest-unlocked first. */
  lockouts(realmId?: string): Promise<Lockout[]>;
  /** Clears a lockout and the failures counted towards the next one; false when the username was not locked. */
  unlock(realmId: string, username: string): Promise<boolean>;
}

export interface Lockout {
  realmId: string;
  /** As typed at the locking login (normalized); undefined for a lock recorded before names were kept. */
  username: string | undefined;
  lockedUntil: Date;
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
    return {
      forLogin: (realmId, username) => new SharedAttempt(cache, settings, realmId, username),
      lockouts: (realmId) => sharedLockouts(cache, realmId),
      async unlock(realmId, username) {
        const keys = sharedKeys(realmId, username);
        const locked = (await cache.get(keys.lock)) !== undefined;
        await cache.delete(keys.lock);
        await cache.delete(keys.fail);
        return locked;
      },
    };
  }
  const state: MemoryState = {
    settings,
    perIp: new WindowCounters(RATE_WINDOW_MS, store.maxEntries, store.now),
    perUser: new WindowCounters(RATE_WINDOW_MS, store.maxEntries, store.now),
    failures: new WindowCounters(settings.lockout.windowSeconds * 1000, store.maxEntries, store.now),
    locks: new WindowCounters(settings.lockout.lockSeconds * 1000, store.maxEntries, store.now),
  };
  // In memory the username itself is the key: hashing is for keeping names out of a shared store.
  return {
    forLogin: (realmId, username) => new MemoryAttempt(state, realmId, `${realmId}:${normalizeUsername(username)}`),
    async lockouts(realmId) {
      const found: Lockout[] = [];
      for (const { key, remainingMs } of state.locks.live()) {
        // Realm ids cannot hold ':' (config schema), so the first one ends the realm.
        const colon = key.indexOf(':');
        const realm = key.slice(0, colon);
        if (realmId !== undefined && realm !== realmId) continue;
        found.push({ realmId: realm, username: key.slice(colon + 1), lockedUntil: new Date(Date.now() + remainingMs) });
      }
      return soonestFirst(found);
    },
    async unlock(realmId, username) {
      const user = `${realmId}:${normalizeUsername(username)}`;
      const locked = state.locks.peek(user) > 0;
      state.locks.delete(user);
      state.failures.delete(user);
      return locked;
    },
  };
}

/**
 * A shared lock's value names who is locked, so operators can list them; the key keeps only a hash of the
 * username (keys show in Redis monitoring and slow logs). A lock from before names were kept holds a timestamp.
 */
interface LockRecord {
  username: string;
  lockedAt: number;
}

async function sharedLockouts(cache: KeyValueCache, realmId: string | undefined): Promise<Lockout[]> {
  const entries = (await cache.list?.(realmId === undefined ? 'lock:' : `lock:${realmTag(realmId)}:`)) ?? [];
  const found: Lockout[] = [];
  for (const entry of entries) {
    // lock:{realm}:hash — the realm in braces, its Cluster hash tag.
    const realm = entry.key.slice('lock:'.length, entry.key.lastIndexOf(':')).replace(/^\{(.*)\}$/, '$1');
    let username: string | undefined;
    try {
      const record = JSON.parse(entry.value) as Partial<LockRecord> | number;
      if (typeof record === 'object' && record !== null && typeof record.username === 'string') username = record.username;
    } catch {
      username = undefined;
    }
    found.push({ realmId: realm, username, lockedUntil: new Date(Date.now() + (entry.ttlMs ?? 0)) });
  }
  return soonestFirst(found);
}

function soonestFirst(lockouts: Lockout[]): Lockout[] {
  return lockouts.sort((a, b) => a.lockedUntil.getTime() - b.lockedUntil.getTime());
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

/** A username's keys in the shared store, all tagged with the realm (see realmTag); the name itself only hashed. */
function sharedKeys(realmId: string, username: string): { realm: string; lock: string; fail: string; userRate: string } {
  const realm = realmTag(realmId);
  const user = userKey(username);
  return { realm, lock: `lock:${realm}:${user}`, fail: `fail:${realm}:${user}`, userRate: `rate:user:${realm}:${user}` };
}

class SharedAttempt implements LoginAttemptThrottle {
  readonly #keys: ReturnType<typeof sharedKeys>;

  constructor(
    private readonly cache: KeyValueCache,
    private readonly settings: ThrottleSettings,
    realmId: string,
    private readonly username: string,
  ) {
    this.#keys = sharedKeys(realmId, username);
  }

  async admit(endUserIp: string): Promise<ThrottleVerdict> {
    const { rateLimit } = this.settings;
    const counters: AdmissionCounter[] = [];
    const refusals: ThrottleVerdict[] = [];
    if (endUserIp) {
      counters.push({ key: `rate:ip:${this.#keys.realm}:${endUserIp}`, windowMs: RATE_WINDOW_MS, limit: rateLimit.perIpPerMinute });
      refusals.push('rate_limited_ip');
    }
    counters.push({ key: this.#keys.userRate, windowMs: RATE_WINDOW_MS, limit: rateLimit.perUsernamePerMinute });
    refusals.push('rate_limited_username');
    const verdict = await this.cache.admit({ holdKey: this.#keys.lock, counters });
    if (verdict.kind === 'admitted') return 'allowed';
    if (verdict.kind === 'held') return 'locked';
    return refusals[verdict.counter]!;
  }

  async recordFailure(): Promise<boolean> {
    const { lockout } = this.settings;
    const failures = await this.cache.increment(this.#keys.fail, lockout.windowSeconds * 1000);
    if (failures < lockout.maxFailures) return false;
    const record: LockRecord = { username: normalizeUsername(this.username), lockedAt: Date.now() };
    await this.cache.set(this.#keys.lock, JSON.stringify(record), lockout.lockSeconds * 1000);
    await this.cache.delete(this.#keys.fail);
    return true;
  }

  async recordSuccess(): Promise<void> {
    await this.cache.delete(this.#keys.fail);
  }
}

/** Usernames are case-insensitive at every IdP we serve. */
function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/**
 * The realm as a Redis Cluster hash tag: a Cluster runs one script only on keys of one slot, and the admit's keys
 * (lock, address, username) are counted in one. One realm's counts then live on one shard.
 */
function realmTag(realmId: string): string {
  return `{${realmId}}`;
}

/** Hashing keeps usernames out of the shared store's keys. */
function userKey(username: string): string {
  return hash('sha256', normalizeUsername(username), 'base64url').slice(0, 22);
}
