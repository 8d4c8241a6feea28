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
  /** The throttle for one login attempt: its keys are derived (the username hashed) once. */
  forLogin(realmId: string, username: string): LoginAttemptThrottle;
}

export interface LoginAttemptThrottle {
  /** Counts this attempt against the rate limits and says whether it may proceed. */
  admit(endUserIp: string): Promise<ThrottleVerdict>;
  /** A wrong password; returns true when this failure locked the username. */
  recordFailure(): Promise<boolean>;
  recordSuccess(): Promise<void>;
}

export function createLoginThrottle(cache: KeyValueCache, settings: ThrottleSettings): LoginThrottle {
  const { lockout, rateLimit } = settings;
  return {
    forLogin(realmId, username) {
      const user = userKey(username);
      const lockKey = `lock:${realmId}:${user}`;
      const failKey = `fail:${realmId}:${user}`;
      return {
        async admit(endUserIp) {
          if ((await cache.get(lockKey)) !== undefined) return 'locked';
          if (endUserIp) {
            const perIp = await cache.increment(`rate:ip:${realmId}:${endUserIp}`, 60_000);
            if (perIp > rateLimit.perIpPerMinute) return 'rate_limited_ip';
          }
          const perUser = await cache.increment(`rate:user:${realmId}:${user}`, 60_000);
          if (perUser > rateLimit.perUsernamePerMinute) return 'rate_limited_username';
          return 'allowed';
        },
        async recordFailure() {
          const failures = await cache.increment(failKey, lockout.windowSeconds * 1000);
          if (failures < lockout.maxFailures) return false;
          await cache.set(lockKey, String(Date.now()), lockout.lockSeconds * 1000);
          await cache.delete(failKey);
          return true;
        },
        async recordSuccess() {
          await cache.delete(failKey);
        },
      };
    },
  };
}

/** Usernames are case-insensitive at every IdP we serve; hashing keeps them out of the shared store's keys. */
function userKey(username: string): string {
  return hash('sha256', username.trim().toLowerCase(), 'base64url').slice(0, 22);
}
