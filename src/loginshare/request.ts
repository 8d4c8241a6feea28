import type { Audience } from '../connectors/connector.js';

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
  | { kind: 'malformed'; reason: string; username?: string };

const MAX_USERNAME_LENGTH = 256;
const MAX_PASSWORD_LENGTH = 1024;
const MAX_INTERFACE_LENGTH = 32;
// Control characters have no business in a username and would corrupt log lines and LDAP filters.
const CONTROL_CHARS = /[\u0000-\u001F\u007F]/;

/** Parses an `application/x-www-form-urlencoded` body. Kayako sends each field once. */
export function parseLoginShareForm(body: string, audience: Audience): ParsedRequest {
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
    if (!name) return { kind: 'malformed', reason: 'interface is missing', username: trimmedUsername };
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
 */
export function readFormFields(body: string): FormFields {
  try {
    return readFieldsFast(body);
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
    return readFieldsStandard(new URLSearchParams(body));
  }
}

function readFieldsFast(body: string): FormFields {
  const fields: FormFields = { username: undefined, password: undefined, ipaddress: undefined, interface: undefined };
  // URLSearchParams drops one leading "?" from a string.
  let start = body.charCodeAt(0) === 0x3f ? 1 : 0;
  while (start < body.length) {
    let end = body.indexOf('&', start);
    if (end < 0) end = body.length;
    if (end > start) {
      const equals = body.indexOf('=', start);
      const nameEnd = equals >= 0 && equals < end ? equals : end;
      const name = decodeFormComponent(body.slice(start, nameEnd));
      if (name === 'username' || name === 'password' || name === 'ipaddress' || name === 'interface') {
        const value = nameEnd < end ? decodeFormComponent(body.slice(nameEnd + 1, end)) : '';
        fields[name] = fields[name] === undefined ? value : null;
      }
    }
    start = end + 1;
  }
  return fields;
}

function readFieldsStandard(form: URLSearchParams): FormFields {
  const one = (name: FieldName): string | undefined | null => {
    const values = form.getAll(name);
    return values.length > 1 ? null : values[0];
  };
  return { username: one('username'), password: one('password'), ipaddress: one('ipaddress'), interface: one('interface') };
}

/** `+` is a space; percent escapes are UTF-8 bytes. Throws URIError on an escape it cannot decode. */
function decodeFormComponent(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  return spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
}
