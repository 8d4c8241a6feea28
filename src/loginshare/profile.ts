import type { Identity } from '../login/vocabulary.js';
import type { ProfileFields } from '../rules/index.js';
import type { KayakoStaff, KayakoUser } from './answer.js';

/** What the rules decided for this person (templates already rendered). */
export type ProfileChoice = ProfileFields;

export type ProfileResult<T> = { kind: 'ok'; profile: T } | { kind: 'incomplete'; missing: 'email' | 'team' };

/** Kayako's stock registered-user group; used when the rules name none. */
export const DEFAULT_USERGROUP = 'Registered';
/** Kayako's column widths: staff mobile number 20 characters, user phone 25. */
const MOBILE_NUMBER_MAX = 20;
const USER_PHONE_MAX = 25;

export function buildUserProfile(identity: Identity, choice: ProfileChoice): ProfileResult<KayakoUser> {
  const emails = normalizeEmails(identity.emails);
  if (emails.length === 0) return { kind: 'incomplete', missing: 'email' };
  const user: KayakoUser = {
    usergroup: nonEmpty(choice.usergroup) ?? DEFAULT_USERGROUP,
    fullname: fullName(identity),
    emails,
  };
  const designation = nonEmpty(choice.designation);
  if (designation) user.designation = designation;
  const organization = nonEmpty(choice.organization);
  if (organization) user.organization = organization;
  if (choice.organizationtype) user.organizationtype = choice.organizationtype;
  const phone = nonEmpty(identity.phone);
  if (phone && phone.length <= USER_PHONE_MAX) user.phone = phone;
  return { kind: 'ok', profile: user };
}

export function buildStaffProfile(identity: Identity, choice: ProfileChoice): ProfileResult<KayakoStaff> {
  const [email] = normalizeEmails(identity.emails);
  if (!email) return { kind: 'incomplete', missing: 'email' };
  const team = nonEmpty(choice.team);
  if (!team) return { kind: 'incomplete', missing: 'team' };
  const { first, last } = staffNames(identity);
  return {
    kind: 'ok',
    profile: {
      team,
      firstname: first,
      lastname: last,
      designation: nonEmpty(choice.designation) ?? '',
      email,
      mobilenumber: mobileNumber(identity.phone),
      signature: nonEmpty(choice.signature) ?? '',
    },
  };
}

/**
 * Lower-cased, de-duplicated, primary first (Kayako lower-cases too, and links accounts by these), and only
 * addresses Kayako keeps: it drops an address its validator refuses and fails the whole login with "No Emails"
 * when none is left, so such an address is dropped here and the person gets the bridge's own message instead.
 */
export function normalizeEmails(emails: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const raw of emails) {
    const email = raw.trim().toLowerCase();
    if (isPlainEmailAddress(email)) seen.add(email);
  }
  return [...seen];
}

// Kayako validates with PHP's FILTER_VALIDATE_EMAIL. This accepts the part of it a directory hands out: a
// dot-atom local part of RFC 5322 `atext` (at most 64 characters) and a host name of letters, digits and inner
// hyphens whose last label starts with a letter (or is an xn-- label), 254 characters in all. ASCII only, as PHP's
// filter is. Quoted local parts and IP-literal domains, which PHP would also accept, are refused: no directory
// issues them to people. Written apart from src/probe's PHP replica on purpose: the probe judges these answers.
const ATEXT = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[a-z0-9]+(?:-+[a-z0-9]+)*';
const PLAIN_EMAIL = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*@(?:${LABEL}\\.)+(?:[a-z][a-z0-9]*(?:-+[a-z0-9]+)*|xn--${LABEL})$`);

function isPlainEmailAddress(email: string): boolean {
  if (email.length > 254 || !PLAIN_EMAIL.test(email)) return false;
  const at = email.lastIndexOf('@');
  return at <= 64 && email.slice(at + 1).split('.').every((label) => label.length <= 63);
}

/** Never empty: display name, then given + family name, then the username. */
export function fullName(identity: Identity): string {
  return (
    nonEmpty(identity.displayName) ??
    nonEmpty([identity.givenName, identity.familyName].map((p) => p?.trim() ?? '').filter(Boolean).join(' ')) ??
    nonEmpty(identity.username) ??
    identity.subject
  );
}

/** Kayako insists on a first name; many directories hold only a display name ("Doe, John" or "John Doe"). */
export function staffNames(identity: Identity): { first: string; last: string } {
  const given = nonEmpty(identity.givenName);
  const family = nonEmpty(identity.familyName);
  if (given) return { first: given, last: family ?? '' };
  const display = nonEmpty(identity.displayName);
  if (display) {
    const comma = display.indexOf(',');
    if (comma > 0) {
      const last = display.slice(0, comma).trim();
      const first = display.slice(comma + 1).trim();
      if (first) return { first, last };
    }
    const words = display.split(/\s+/);
    if (words.length > 1) return { first: words.slice(0, -1).join(' '), last: family ?? words[words.length - 1]! };
    return { first: display, last: family ?? '' };
  }
  const fallback = identity.username.split('@')[0] || identity.username;
  return { first: fallback, last: family ?? '' };
}

function mobileNumber(phone: string | undefined): string {
  const compact = (phone ?? '').replace(/\s+/g, '');
  // A cut-off number is a wrong number: better none than a truncated one.
  return compact.length <= MOBILE_NUMBER_MAX ? compact : '';
}

function nonEmpty(value: string | undefined | null): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
