import type { Entry } from 'ldapts';
import type { Identity } from '../../login/vocabulary.js';
import { stringValues } from './ldap-groups.js';

/** Which attributes become which identity fields (the section's `attributes`, directory defaults filled in). */
export interface AttributeMap {
  subject: readonly string[];
  username: string;
  email: readonly string[];
  proxyAddresses: boolean;
  givenName: string;
  familyName: string;
  displayName: string;
  phone: readonly string[];
  title: string;
  extra: readonly string[];
}

/** Attributes read as bytes: AD's objectGUID is 16 raw bytes. */
export const BINARY_ATTRIBUTES = ['objectGUID'];

export function attributesToRead(map: AttributeMap, groupsFromMemberOf: boolean): string[] {
  const names = [
    ...map.subject,
    map.username,
    ...map.email,
    ...(map.proxyAddresses ? ['proxyAddresses'] : []),
    map.givenName,
    map.familyName,
    map.displayName,
    ...map.phone,
    map.title,
    ...map.extra,
    ...(groupsFromMemberOf ? ['memberOf'] : []),
    'uid',
  ];
  return [...new Set(names)];
}

/** Credential attributes: never copied into claims, even if a server returns them or `extra` names them. */
const CREDENTIAL_ATTRIBUTES = new Set(
  ['userPassword', 'unicodePwd', 'authPassword', 'ntPwdHistory', 'lmPwdHistory', 'supplementalCredentials', 'sambaNTPassword', 'sambaLMPassword'].map((a) => a.toLowerCase()),
);

/** The identity of a directory entry; `emails` may be empty (the login flow refuses that with a clear message). */
export function identityFromEntry(entry: Entry, map: AttributeMap, connectorId: string, typedUsername: string): Identity {
  const claims: Record<string, unknown> = { dn: entry.dn };
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'dn' || CREDENTIAL_ATTRIBUTES.has(name.toLowerCase())) continue;
    const list = (Array.isArray(value) ? value : [value]).map((v) => (Buffer.isBuffer(v) ? binaryText(name, v) : String(v)));
    if (list.length === 0) continue;
    claims[name] = list.length === 1 ? list[0] : list;
  }
  const first = (attribute: string): string | undefined => {
    const value = stringValues(entry, attribute)[0]?.trim();
    return value ? value : undefined;
  };

  const identity: Identity = {
    subject: subjectOf(entry, map.subject),
    username: first(map.username) ?? typedUsername,
    emails: emailsOf(entry, map),
    groups: [],
    claims,
    connectorId,
  };
  const givenName = first(map.givenName);
  if (givenName) identity.givenName = givenName;
  const familyName = first(map.familyName);
  if (familyName) identity.familyName = familyName;
  const displayName = first(map.displayName) ?? first('cn');
  if (displayName) identity.displayName = displayName;
  const phone = map.phone.map(first).find((p) => p !== undefined);
  if (phone) identity.phone = phone;
  const title = first(map.title);
  if (title) claims['title'] = title;
  return identity;
}

/** The first stable id present (objectGUID as AD writes GUIDs, entryUUID as is), else the DN. */
function subjectOf(entry: Entry, attributes: readonly string[]): string {
  for (const attribute of attributes) {
    const raw = valueOf(entry, attribute);
    if (Buffer.isBuffer(raw) && raw.length > 0) return binaryText(attribute, raw);
    if (typeof raw === 'string' && raw.trim()) return raw.trim();
  }
  return entry.dn;
}

function valueOf(entry: Entry, attribute: string): Buffer | string | undefined {
  const wanted = attribute.toLowerCase();
  for (const [name, value] of Object.entries(entry)) {
    if (name.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * `mail` (or the configured attributes) first; AD proxyAddresses only when asked for, `SMTP:` (the primary)
 * before `smtp:` aliases, other address types (X500:, SIP:) skipped.
 */
function emailsOf(entry: Entry, map: AttributeMap): string[] {
  const emails: string[] = [];
  for (const attribute of map.email) emails.push(...stringValues(entry, attribute));
  if (map.proxyAddresses) {
    const addresses = stringValues(entry, 'proxyAddresses');
    const primary = addresses.filter((a) => a.startsWith('SMTP:'));
    const aliases = addresses.filter((a) => a.startsWith('smtp:'));
    for (const address of [...primary, ...aliases]) emails.push(address.slice(5));
  }
  return [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e.includes('@')))];
}

/** objectGUID in AD's text form (first three fields little-endian); other binary values as base64. */
function binaryText(attribute: string, bytes: Buffer): string {
  if (attribute.toLowerCase() === 'objectguid' && bytes.length === 16) {
    const hex = (start: number, end: number, reverse: boolean) => {
      const part = [...bytes.subarray(start, end)];
      return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
    };
    return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
  }
  return bytes.toString('base64');
}
