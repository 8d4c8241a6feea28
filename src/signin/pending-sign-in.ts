import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Audience } from '../login/vocabulary.js';
import type { TakingCache } from './code-store.js';

/**
 * Browser sign-ins that have gone to the IdP and not come back yet, kept server-side (in the shared cache, so
 * the callback may land on any replica) under the hash of their `state`. Each is tied to the browser that
 * started it by a random cookie value, of which only the hash is stored: an answer from the IdP carried to
 * another browser (a phished callback link) finds the record but not the cookie. Taken once: a callback
 * replayed finds nothing.
 */
export interface PendingSignIn {
  realmId: string;
  audience: Audience;
  methodId: string;
  /** The method's own checks (PKCE verifier, nonce): opaque here. */
  methodState: string;
  /** SHA-256 of the browser cookie's value. */
  browserHash: string;
  expiresAt: number;
}

export interface PendingSignIns {
  /** A new state value and cookie value for a sign-in about to start. */
  open(): { state: string; browserSecret: string };
  save(state: string, browserSecret: string, record: Omit<PendingSignIn, 'browserHash' | 'expiresAt'>, lifetimeMs: number): Promise<void>;
  take(state: string): Promise<PendingSignIn | undefined>;
  /** Whether the cookie sent back is the one this sign-in set. */
  sameBrowser(record: PendingSignIn, browserSecret: string): boolean;
  /**
   * For an answer POSTed cross-site (SAML HTTP-POST), which arrives without the browser's SameSite cookie: the
   * taken pending sign-in and the answer, kept server-side under a fresh one-time token for the browser's next
   * (same-site) request, where the cookie is checked before the answer is looked at.
   */
  handOver(record: PendingSignIn, answer: string, lifetimeMs: number): Promise<string>;
  takeHandedOver(token: string): Promise<{ record: PendingSignIn; answer: string } | undefined>;
}

export function createPendingSignIns(cache: TakingCache, now: () => number = Date.now): PendingSignIns {
  return {
    open: () => ({ state: randomBytes(32).toString('base64url'), browserSecret: randomBytes(32).toString('base64url') }),
    async save(state, browserSecret, record, lifetimeMs) {
      const stored: PendingSignIn = { ...record, browserHash: digest(browserSecret), expiresAt: now() + lifetimeMs };
      await cache.set(stateKey(state), JSON.stringify(stored), lifetimeMs);
    },
    async take(state) {
      const value = await cache.take(stateKey(state));
      if (value === undefined) return undefined;
      const record = JSON.parse(value) as PendingSignIn;
      return record.expiresAt > now() ? record : undefined;
    },
    async handOver(record, answer, lifetimeMs) {
      const token = randomBytes(32).toString('base64url');
      await cache.set(handOverKey(token), JSON.stringify({ record, answer, until: now() + lifetimeMs }), lifetimeMs);
      return token;
    },
    async takeHandedOver(token) {
      const value = await cache.take(handOverKey(token));
      if (value === undefined) return undefined;
      const held = JSON.parse(value) as { record: PendingSignIn; answer: string; until: number };
      return held.until > now() ? { record: held.record, answer: held.answer } : undefined;
    },
    sameBrowser(record, browserSecret) {
      const expected = Buffer.from(record.browserHash);
      const actual = Buffer.from(digest(browserSecret));
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

function digest(value: string): string {
  return hash('sha256', value, 'base64url');
}

function handOverKey(token: string): string {
  return `signin:answer:${digest(token)}`;
}

function stateKey(state: string): string {
  return `signin:state:${digest(state)}`;
}
