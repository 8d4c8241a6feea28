import { MESSAGES } from './messages.js';
import type { Audience } from '../login/vocabulary.js';

/** One LoginShare POST as Kayako sends it (protocol note, "The request Kayako sends"). */
export interface LoginShareRequest {
  audience: Audience;
  username: string;
  /** Never logged; lives only as long as the request. */
  password: string;
  /** The end user's address as Kayako saw it; empty when Kayako sent none. */
  endUserIp: string;
  /** Staff only: lower-cased Kayako interface name (`staff`, `admin`, `winapp`, …). */
  staffInterface?: string;
}

export type ParsedRequest =
  | { kind: 'ok'; request: LoginShareRequest }
  /** `reason` is for the operator's log; it never contains the password. */
  | { kind: 'malformed'; reason: string; username?: string; /** What the person reads, when the usual "enter your username and password" would mislead. */ message?: string };

const MAX_USERNAME_LENGTH = 256;
const MAX_PASSWORD_LENGTH = 1024;
const MAX_INTERFACE_LENGTH = 32;
// Control characters have no business in a username and would corrupt log lines and LDAP filters.
const CONTROL_CHARS = /[\u0000-\u001F\u007F]/;
// U+FFFE and U+FFFF are not characters XML 1.0 can carry: the answer would drop them, and Kayako would link the
// account under another name than the one typed (or under none at all).
const NOT_IN_XML = /[\uFFFE\uFFFF]/;

/**
 * Parses an `application/x-www-form-urlencoded` body (the bytes as received; a string is read as UTF-8). Kayako
 * sends each field once.
 */
export function parseLoginShareForm(body: Buffer | string, audience: Audience): ParsedRequest {
  let fields: FormFields;
  try {
    fields = readFormFields(body);
  } catch {
    return { kind: 'malformed', reason: 'body is not form-urlencoded' };
  }
  const { username, password, ipaddress } = fields;
  if (username === null || password === null || ipaddress === null) {
    return { kind: 'malformed', reason: 'a field was sent more than once' };
  }
  const trimmedUsername = (username ?? '').trim();
  if (!trimmedUsername) return { kind: 'malformed', reason: 'username is missing' };
  if (trimmedUsername.length > MAX_USERNAME_LENGTH) return { kind: 'malformed', reason: 'username is too long' };
  if (CONTROL_CHARS.test(trimmedUsername)) return { kind: 'malformed', reason: 'username has control characters' };
  if (NOT_IN_XML.test(trimmedUsername)) return { kind: 'malformed', reason: 'username has characters an XML answer cannot carry (U+FFFE, U+FFFF)' };
  if (!password) return { kind: 'malformed', reason: 'password is missing', username: trimmedUsername };
  if (password.length > MAX_PASSWORD_LENGTH) {
    return { kind: 'malformed', reason: 'password is too long', username: trimmedUsername };
  }

  const request: LoginShareRequest = {
    audience,
    username: trimmedUsername,
    password,
    endUserIp: sanitizeIp(ipaddress ?? ''),
  };
  if (audience === 'staff') {
    const staffInterface = fields.interface;
    if (staffInterface === null) return { kind: 'malformed', reason: 'a field was sent more than once' };
    const name = (staffInterface ?? '').trim().toLowerCase();
    // Kayako sends it with every staff login: without it, it is the help desk's set-up, not the person's typing.
    if (!name) return { kind: 'malformed', reason: 'interface is missing', username: trimmedUsername, message: MESSAGES.staffInterfaceMissing };
    if (name.length > MAX_INTERFACE_LENGTH || !/^[a-z0-9_-]+$/.test(name)) {
      return { kind: 'malformed', reason: 'interface is not a Kayako interface name', username: trimmedUsername };
    }
    request.staffInterface = name;
  }
  return { kind: 'ok', request };
}

/** Keeps only what can be part of an IPv4/IPv6 address; the value reaches logs and rate-limit keys. */
function sanitizeIp(value: string): string {
  const trimmed = value.trim();
  return /^[0-9A-Fa-f:.]{2,45}$/.test(trimmed) ? trimmed : '';
}

type FieldName = 'username' | 'password' | 'ipaddress' | 'interface';
/** A field's value; `null` when it was sent more than once (ambiguous: which one did the person type?). */
type FormFields = Record<FieldName, string | undefined | null>;

/**
 * The four LoginShare fields, decoded as the WHATWG form rules say (what `URLSearchParams` does). Read here in one
 * pass over the body because `URLSearchParams` — JavaScript on Node 20 — cost ~3 µs and an object per field on
 * every login. A percent escape that `decodeURIComponent` refuses (`%zz`, a lone `%`, bytes that are not UTF-8)
 * sends the body through `URLSearchParams` instead, which decodes those leniently.
 *
 * Each field is decoded from its own bytes: the body is never one string. A substring of a string is, in V8, a
 * view of the whole (for 13 characters or more), so an address or a username cut out of the body text kept the
 * body alive — password included — for as long as a rate-limit counter or a cache key held it: a minute, in the
 * memory of a process that sees every password of the company (test/security/password-retention.test.ts).
 */
export function readFormFields(body: Buffer | string): FormFields {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  try {
    return readFieldsFast(bytes);
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
    return readFieldsStandard(bytes);
  }
}

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const QUESTION_MARK = 0x3f;

function readFieldsFast(body: Buffer): FormFields {
  const fields: FormFields = { username: undefined, password: undefined, ipaddress: undefined, interface: undefined };
  // URLSearchParams drops one leading "?" from a string.
  let start = body[0] === QUESTION_MARK ? 1 : 0;
  while (start < body.length) {
    let end = body.indexOf(AMPERSAND, start);
    if (end < 0) end = body.length;
    if (end > start) {
      let nameEnd = start;
      while (nameEnd < end && body[nameEnd] !== EQUALS) nameEnd++;
      const name = decodeFormComponent(body.toString('utf8', start, nameEnd));
      if (name === 'username' || name === 'password' || name === 'ipaddress' || name === 'interface') {
        const value = nameEnd < end ? decodeFormComponent(body.toString('utf8', nameEnd + 1, end)) : '';
        fields[name] = fields[name] === undefined ? value : null;
      }
    }
    start = end + 1;
  }
  return fields;
}

function readFieldsStandard(body: Buffer): FormFields {
  const form = new URLSearchParams(body.toString('utf8'));
  const one = (name: FieldName): string | undefined | null => {
    const values = form.getAll(name);
    if (values.length > 1) return null;
    // URLSearchParams cuts its values out of the body text: copied, for the reason given above.
    return values[0] === undefined ? undefined : Buffer.from(values[0], 'utf8').toString('utf8');
  };
  return { username: one('username'), password: one('password'), ipaddress: one('ipaddress'), interface: one('interface') };
}

/** `+` is a space; percent escapes are UTF-8 bytes. Throws URIError on an escape it cannot decode. */
function decodeFormComponent(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  return spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
}
