import type { Identity } from '../login/vocabulary.js';
import { normalizeEmails } from './profile.js';

/**
 * Kayako links a user account by email: it looks every email of the answer up, the last one that matches an
 * existing user wins, and every email sent is added to that user (protocol note, "User success"). An address
 * the person can set themselves — an alias, a mailbox on a domain the organization does not own — therefore
 * opens someone else's Kayako account. A realm's linking policy decides which addresses may be sent.
 */
export interface LinkingPolicy {
  /** primary: only the connector's primary email; all: the aliases too, after it. */
  readonly emails: 'primary' | 'all';
  /** Lower-case `example.com` (exactly) or `*.example.com` (its subdomains); undefined = any domain. */
  readonly emailDomains?: readonly string[] | undefined;
}

export type LinkedEmails =
  | { kind: 'ok'; emails: string[]; /** Addresses left out because of their domain, for the audit line. */ dropped: string[] }
  /** The connector gave addresses, but none the realm accepts. */
  | { kind: 'none-allowed'; dropped: string[] }
  /** The connector gave no verified address at all. */
  | { kind: 'none' };

/**
 * The addresses Kayako may link on, primary first. The primary stays first and is never replaced by an alias:
 * which account a person lands in must not depend on which of their addresses an IdP happened to list first.
 * Aliases follow in sorted order, so the answer is the same from one login to the next.
 */
export function linkableEmails(identity: Pick<Identity, 'emails' | 'aliasEmails'>, policy: LinkingPolicy): LinkedEmails {
  // Connectors that do not tell aliases apart list every address in `emails`, primary first.
  const [primary, ...rest] = normalizeEmails(identity.emails);
  const aliases = policy.emails === 'all' ? [...new Set(normalizeEmails([...rest, ...(identity.aliasEmails ?? [])]))].sort() : [];
  const candidates = primary ? [primary, ...aliases.filter((a) => a !== primary)] : aliases;
  if (candidates.length === 0) return { kind: 'none' };
  if (!policy.emailDomains) return { kind: 'ok', emails: candidates, dropped: [] };
  const allowed = policy.emailDomains;
  const emails = candidates.filter((email) => domainAllowed(email, allowed));
  const dropped = candidates.filter((email) => !emails.includes(email));
  return emails.length > 0 ? { kind: 'ok', emails, dropped } : { kind: 'none-allowed', dropped };
}

function domainAllowed(email: string, allowed: readonly string[]): boolean {
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return allowed.some((pattern) => (pattern.startsWith('*.') ? domain.endsWith(pattern.slice(1)) : domain === pattern));
}

/** How a realm's staff must type their username: one Kayako staff account per person. */
export type StaffUsernameForm = 'as-typed' | 'username' | 'local-part' | 'upn';

/**
 * The one username form under which this person's Kayako staff account exists, or undefined when the form is
 * `as-typed` (no check) or the identity lacks what the form needs (a `upn` claim).
 */
export function canonicalStaffUsername(identity: Identity, form: StaffUsernameForm): string | undefined {
  switch (form) {
    case 'as-typed':
      return undefined;
    case 'username':
      return identity.username;
    case 'local-part': {
      const at = identity.username.lastIndexOf('@');
      return at > 0 ? identity.username.slice(0, at) : identity.username;
    }
    case 'upn': {
      const upn = identity.claims['upn'] ?? identity.claims['userPrincipalName'];
      return typeof upn === 'string' && upn ? upn : undefined;
    }
  }
}

/**
 * Kayako trims the typed username and may compare it byte for byte (a binary collation), so `JDoe` and `jdoe`
 * can be two staff accounts: capitals count here too.
 */
export function sameStaffUsername(typed: string, canonical: string): boolean {
  return typed.trim() === canonical.trim();
}
