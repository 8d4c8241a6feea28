import type { Identity } from '../../login/vocabulary.js';
import type { ClaimMapping } from './oidc-config.js';

/** Reads `a.b.c` from nested claims; a key containing dots can be quoted: `"https://example.com/roles"`. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  const quoted = /^"(.*)"$/.exec(path);
  if (quoted) return claims[quoted[1]!];
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function stringClaim(claims: Record<string, unknown>, path: string): string | undefined {
  const value = claimAt(claims, path);
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

export function groupsFromClaims(claims: Record<string, unknown>, paths: readonly string[]): string[] {
  const groups = new Set<string>();
  for (const path of paths) {
    const value = claimAt(claims, path);
    const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    for (const item of list) if (typeof item === 'string' && item) groups.add(item);
  }
  return [...groups];
}

/** Builds the common Identity from an IdP's claims according to the connector's claim mapping. */
export function identityFromClaims(
  claims: Record<string, unknown>,
  mapping: ClaimMapping,
  connectorId: string,
  typedUsername: string,
): Identity | undefined {
  const subject = stringClaim(claims, mapping.subject);
  if (!subject) return undefined;
  // The first source is the primary email; the others are aliases, which the realm may or may not send. An
  // unverified primary is not replaced by an alias: the address Kayako links on must not change between logins.
  const emails: string[] = [];
  const aliasEmails: string[] = [];
  mapping.emails.forEach((source, index) => {
    const email = stringClaim(claims, source.claim);
    if (!email) return;
    if (source.verifiedBy !== undefined && !isTrue(claimAt(claims, source.verifiedBy))) return;
    (index === 0 ? emails : aliasEmails).push(email);
  });
  const identity: Identity = {
    subject,
    username: stringClaim(claims, mapping.username) ?? typedUsername,
    emails,
    ...(aliasEmails.length > 0 ? { aliasEmails } : {}),
    groups: groupsFromClaims(claims, mapping.groups),
    claims,
    connectorId,
  };
  const givenName = stringClaim(claims, mapping.givenName);
  if (givenName) identity.givenName = givenName;
  const familyName = stringClaim(claims, mapping.familyName);
  if (familyName) identity.familyName = familyName;
  const displayName = stringClaim(claims, mapping.displayName);
  if (displayName) identity.displayName = displayName;
  const phone = stringClaim(claims, mapping.phone);
  if (phone) identity.phone = phone;
  return identity;
}
