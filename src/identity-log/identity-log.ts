import { createHash } from 'node:crypto';
import type { KeyValueCache } from '../cache/cache.js';
import type { Audience, Identity } from '../login/vocabulary.js';
import { lookupClaimPath, splitPath } from '../rules/claim-path.js';
import type { IdentityLogConfig } from './identity-log-config.js';

/**
 * One login as the rules saw it, without anything secret: what `loginshare-bridge diff` replays against old and
 * new rules. Never a password, token or code — the Identity type carries none, and only the claims the operator
 * names are kept.
 */
export interface IdentityLogEntry {
  time: string;
  realm: string;
  audience: Audience;
  interface?: string;
  connector: string;
  subject: string;
  username: string;
  emails: string[];
  groups: string[];
  claims: Record<string, unknown>;
}

export interface IdentityLog {
  record(realmId: string, audience: Audience, staffInterface: string | undefined, identity: Identity): Promise<void>;
  /** The realm's entries within the retention, newest first, one per person and audience. */
  entries(realmId: string): Promise<IdentityLogEntry[]>;
}

/**
 * A ring of `maxEntries` slots per realm in the key-value store (Redis when configured, so every replica adds to
 * one log; memory otherwise). Each slot and the ring's position expire with the retention, so the log is bounded
 * in size and age whatever happens to the replica that wrote it.
 */
export function createIdentityLog(config: IdentityLogConfig, store: KeyValueCache, now: () => number = Date.now): IdentityLog {
  const retentionMs = config.retentionHours * 3_600_000;
  const key = (realmId: string, rest: string) => `idlog:{${realmId}}:${rest}`;
  return {
    async record(realmId, audience, staffInterface, identity) {
      const person = createHash('sha256').update(`${audience}\0${identity.connectorId}\0${identity.subject}`).digest('base64url').slice(0, 22);
      if (config.minIntervalMinutes > 0 && (await store.increment(key(realmId, `seen:${person}`), config.minIntervalMinutes * 60_000)) > 1) return;
      const entry: IdentityLogEntry = {
        time: new Date(now()).toISOString(),
        realm: realmId,
        audience,
        ...(staffInterface !== undefined ? { interface: staffInterface } : {}),
        connector: identity.connectorId,
        subject: identity.subject,
        username: identity.username,
        emails: identity.emails,
        groups: identity.groups,
        claims: selectedClaims(identity.claims, config.claims),
      };
      const position = await store.increment(key(realmId, 'position'), retentionMs);
      await store.set(key(realmId, `slot:${position % config.maxEntries}`), JSON.stringify(entry), retentionMs);
    },
    async entries(realmId) {
      const cutoff = now() - retentionMs;
      // In batches: a log of 100 000 entries must not put 100 000 commands in flight at once.
      const raw: Array<string | undefined> = [];
      for (let first = 0; first < config.maxEntries; first += READ_BATCH) {
        const slots = Array.from({ length: Math.min(READ_BATCH, config.maxEntries - first) }, (_, i) => first + i);
        raw.push(...(await Promise.all(slots.map((slot) => store.get(key(realmId, `slot:${slot}`))))));
      }
      const entries = raw
        .flatMap((text) => (text === undefined ? [] : [JSON.parse(text) as IdentityLogEntry]))
        .filter((e) => Date.parse(e.time) >= cutoff)
        .sort((a, b) => b.time.localeCompare(a.time));
      const seen = new Set<string>();
      return entries.filter((e) => {
        const id = `${e.audience}\0${e.connector}\0${e.subject}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    },
  };
}

const READ_BATCH = 500;

function selectedClaims(claims: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const path of paths) {
    const value = lookupClaimPath(claims, splitPath(path));
    if (value !== undefined) kept[path] = value;
  }
  return kept;
}
