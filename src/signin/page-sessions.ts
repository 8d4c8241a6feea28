import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../login/vocabulary.js';
import type { TakingCache } from './code-store.js';

/**
 * A short session on the sign-in page after a staff browser sign-in, so the person can make, list and revoke app
 * passwords there. The cookie holds a random value; the store keeps the session under its hash, with a random
 * token the page's forms must send back (on top of SameSite cookies and Hono's origin check).
 */
export interface PageSession {
  realmId: string;
  identity: Identity;
  loginNames: string[];
  formToken: string;
}

export interface PageSessions {
  open(session: Omit<PageSession, 'formToken'>, lifetimeMs: number): Promise<{ secret: string; session: PageSession }>;
  get(realmId: string, secret: string): Promise<PageSession | undefined>;
  formTokenMatches(session: PageSession, sent: string): boolean;
}

export function createPageSessions(cache: TakingCache): PageSessions {
  return {
    async open(session, lifetimeMs) {
      const secret = randomBytes(32).toString('base64url');
      const stored: PageSession = { ...session, formToken: randomBytes(24).toString('base64url') };
      await cache.set(sessionKey(secret), JSON.stringify(stored), lifetimeMs);
      return { secret, session: stored };
    },
    async get(realmId, secret) {
      const value = await cache.get(sessionKey(secret));
      if (value === undefined) return undefined;
      const session = JSON.parse(value) as PageSession;
      return session.realmId === realmId ? session : undefined;
    },
    formTokenMatches(session, sent) {
      const a = Buffer.from(session.formToken);
      const b = Buffer.from(sent);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

function sessionKey(secret: string): string {
  return `signin:session:${hash('sha256', secret, 'base64url')}`;
}
