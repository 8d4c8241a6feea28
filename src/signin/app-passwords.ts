import { hash, randomBytes } from 'node:crypto';
import type { Identity } from '../login/vocabulary.js';
import type { TakingCache } from './code-store.js';
import { randomGroups } from './sign-in-code.js';

/**
 * App passwords: long-lived, revocable passwords a staff member makes on the sign-in page (after a browser
 * sign-in with MFA) for the Kayako desktop and mobile apps, which cannot show a browser. 25 characters of
 * Crockford's Base32 in five groups (125 random bits), stored only as a SHA-256 with the profile of the browser
 * sign-in that made them; listed per person, revocable, and ended after their lifetime.
 *
 * They live in the bridge's cache, which must then be Redis (config validation insists): a memory store would
 * lose them on restart and evict them under load.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const SHAPE = /^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$/;

export function newAppPassword(): string {
  return randomGroups(ALPHABET, 5, 5);
}

/** The app password in canonical form if `typed` has its shape (any case), else undefined. */
export function parseAppPassword(typed: string): string | undefined {
  const canonical = typed.trim().toLowerCase();
  return SHAPE.test(canonical) ? canonical : undefined;
}

export interface AppPasswordGrant {
  id: string;
  realmId: string;
  identity: Identity;
  loginNames: string[];
  /** The Kayako staff interfaces it may be used from. */
  interfaces: string[];
  expiresAt: number;
}

export interface AppPasswordSummary {
  id: string;
  label: string;
  createdAt: number;
  expiresAt: number;
}

interface IndexEntry extends AppPasswordSummary {
  key: string;
}

export interface AppPasswordStore {
  create(
    owner: { realmId: string; identity: Identity; loginNames: string[] },
    label: string,
    interfaces: string[],
    lifetimeMs: number,
  ): Promise<{ password: string; summary: AppPasswordSummary }>;
  list(realmId: string, subject: string): Promise<AppPasswordSummary[]>;
  /** True when the person had an app password with that id. */
  revoke(realmId: string, subject: string, id: string): Promise<boolean>;
  /** The grant for this password (not consumed: app passwords are used many times). */
  find(realmId: string, password: string): Promise<AppPasswordGrant | undefined>;
}

export function createAppPasswordStore(cache: TakingCache, now: () => number = Date.now): AppPasswordStore {
  const readIndex = async (realmId: string, subject: string): Promise<IndexEntry[]> => {
    const value = await cache.get(indexKey(realmId, subject));
    const entries = value === undefined ? [] : (JSON.parse(value) as IndexEntry[]);
    return entries.filter((entry) => entry.expiresAt > now());
  };
  const writeIndex = async (realmId: string, subject: string, entries: IndexEntry[]): Promise<void> => {
    if (entries.length === 0) return cache.delete(indexKey(realmId, subject));
    const last = Math.max(...entries.map((e) => e.expiresAt));
    await cache.set(indexKey(realmId, subject), JSON.stringify(entries), last - now());
  };
  const summary = ({ id, label, createdAt, expiresAt }: IndexEntry): AppPasswordSummary => ({ id, label, createdAt, expiresAt });

  return {
    async create(owner, label, interfaces, lifetimeMs) {
      const password = newAppPassword();
      const createdAt = now();
      const entry: IndexEntry = { id: randomBytes(9).toString('base64url'), label, createdAt, expiresAt: createdAt + lifetimeMs, key: passwordKey(owner.realmId, password) };
      const grant: AppPasswordGrant = { id: entry.id, realmId: owner.realmId, identity: owner.identity, loginNames: owner.loginNames, interfaces, expiresAt: entry.expiresAt };
      await cache.set(entry.key, JSON.stringify(grant), lifetimeMs);
      await writeIndex(owner.realmId, owner.identity.subject, [...(await readIndex(owner.realmId, owner.identity.subject)), entry]);
      return { password, summary: summary(entry) };
    },
    async list(realmId, subject) {
      return (await readIndex(realmId, subject)).map(summary);
    },
    async revoke(realmId, subject, id) {
      const entries = await readIndex(realmId, subject);
      const found = entries.find((entry) => entry.id === id);
      if (!found) return false;
      await cache.delete(found.key);
      await writeIndex(realmId, subject, entries.filter((entry) => entry !== found));
      return true;
    },
    async find(realmId, password) {
      const value = await cache.get(passwordKey(realmId, password));
      if (value === undefined) return undefined;
      const grant = JSON.parse(value) as AppPasswordGrant;
      return grant.expiresAt > now() && grant.realmId === realmId ? grant : undefined;
    },
  };
}

function passwordKey(realmId: string, password: string): string {
  return `signin:apppw:${hash('sha256', `${realmId}\n${password}`, 'base64url')}`;
}

function indexKey(realmId: string, subject: string): string {
  return `signin:apppw-list:${hash('sha256', `${realmId}\n${subject}`, 'base64url')}`;
}
