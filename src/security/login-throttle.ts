import { hash } from 'node:crypto';
import type { KeyValueCache } from '../cache/cache.js';

/**
 * Brute-force protection in front of the IdP: per-address and per-username rate limits, and a lockout after
 * repeated wrong passwords. A locked username is refused without asking the IdP, so an attacker cannot lock
 * the person's corporate account through Kayako. State lives in the shared cache, so replicas agree.
 */
export interface ThrottleSettings {
  lockout: { maxFailures: number; windowSeconds: number; lockSeconds: number };
  rateLimit: { perIpPerMinute: number; perUsernamePerMinute: number };
}

export type ThrottleVerdict = 'allowed' | 'locked' | 'rate_limited_ip' | 'rate_limited_username';

export interface LoginThrottle {
  /** Counts this attempt against the rate limits and says whether it may proceed. */
  admit(realmId: string, username: string, endUserIp: string): Promise<ThrottleVerdict>;
  /** A wrong password; returns true when this failure locked the username. */
  recordFailure(realmId: string, username: string): Promise<boolean>;
  recordSuccess(realmId: string, username: string): Promise<void>;
}

export function createLoginThrottle(cache: KeyValueCache, settings: ThrottleSettings): LoginThrottle {
  const { lockout, rateLimit } = settings;
  // Keys take the hashed username, computed once per call.
  const lockKey = (realmId: string, user: string) => `lock:${realmId}:${user}`;
  const failKey = (realmId: string, user: string) => `fail:${realmId}:${user}`;
  return {
    async admit(realmId, username, endUserIp) {
      const user = userKey(username);
      if ((await cache.get(lockKey(realmId, user))) !== undefined) return 'locked';
      if (endUserIp) {
        const perIp = await cache.increment(`rate:ip:${realmId}:${endUserIp}`, 60_000);
        if (perIp > rateLimit.perIpPerMinute) return 'rate_limited_ip';
      }
      const perUser = await cache.increment(`rate:user:${realmId}:${user}`, 60_000);
      if (perUser > rateLimit.perUsernamePerMinute) return 'rate_limited_username';
      return 'allowed';
    },
    async recordFailure(realmId, username) {
      const user = userKey(username);
      const failures = await cache.increment(failKey(realmId, user), lockout.windowSeconds * 1000);
      if (failures < lockout.maxFailures) return false;
      await cache.set(lockKey(realmId, user), String(Date.now()), lockout.lockSeconds * 1000);
      await cache.delete(failKey(realmId, user));
      return true;
    },
    async recordSuccess(realmId, username) {
      await cache.delete(failKey(realmId, userKey(username)));
    },
  };
}

/** Usernames are case-insensitive at every IdP we serve; hashing keeps them out of the shared store's keys. */
function userKey(username: string): string {
  return hash('sha256', username.trim().toLowerCase(), 'base64url').slice(0, 22);
}
