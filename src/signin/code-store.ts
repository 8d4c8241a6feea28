import { hash } from 'node:crypto';
import type { KeyValueCache } from '../cache/cache.js';
import type { Audience, Identity } from '../login/vocabulary.js';
import { newSignInCode } from './sign-in-code.js';

/**
 * Issued sign-in codes, in the bridge's cache (Redis when configured, so any replica accepts a code another
 * issued; this replica's memory otherwise). A code is stored only as the SHA-256 of realm, audience and code, so
 * neither the store nor its keys reveal one, and a code from one realm or audience is not even found in another.
 * Redeeming takes the entry out in one step (a Lua GET+DEL in Redis): a code works once, whichever replica sees it.
 */
export type TakingCache = KeyValueCache & { take(key: string): Promise<string | undefined> };

export interface SignInCodeGrant {
  realmId: string;
  audience: Audience;
  /** The profile from the browser sign-in, as the IdP gave it (groups resolved); the rules run on redemption. */
  identity: Identity;
  /** What the person may type as the username with this code: the IdP username and verified emails, lower case. */
  loginNames: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface SignInCodeStore {
  issue(grant: Omit<SignInCodeGrant, 'expiresAt'>, lifetimeMs: number): Promise<{ code: string; expiresAt: number }>;
  /** The grant for this code, removed so it cannot be used again; undefined if unknown, used or expired. */
  redeem(realmId: string, audience: Audience, code: string): Promise<SignInCodeGrant | undefined>;
}

export function createSignInCodeStore(cache: TakingCache, now: () => number = Date.now): SignInCodeStore {
  return {
    async issue(grant, lifetimeMs) {
      const code = newSignInCode();
      const expiresAt = now() + lifetimeMs;
      const stored: SignInCodeGrant = { ...grant, expiresAt };
      await cache.set(codeKey(grant.realmId, grant.audience, code), JSON.stringify(stored), lifetimeMs);
      return { code, expiresAt };
    },
    async redeem(realmId, audience, code) {
      const value = await cache.take(codeKey(realmId, audience, code));
      if (value === undefined) return undefined;
      const grant = JSON.parse(value) as SignInCodeGrant;
      // The store's TTL already drops it; this covers a store whose clock runs behind.
      if (grant.expiresAt <= now() || grant.realmId !== realmId || grant.audience !== audience) return undefined;
      return grant;
    },
  };
}

function codeKey(realmId: string, audience: Audience, code: string): string {
  return `signin:code:${hash('sha256', `${realmId}\n${audience}\n${code}`, 'base64url')}`;
}

/** The names a person may log in with: as the throttle compares them (trimmed, lower case). */
export function loginNamesOf(identity: Identity): string[] {
  return [...new Set([identity.username, ...identity.emails].map(normalizeLoginName).filter((name) => name !== ''))];
}

export function normalizeLoginName(name: string): string {
  return name.trim().toLowerCase();
}

export function supportsTake(cache: KeyValueCache): cache is TakingCache {
  return typeof cache.take === 'function';
}
