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
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(body);
  } catch {
    return { kind: 'malformed', reason: 'body is not form-urlencoded' };
  }
  const single = (name: string): string | undefined | null => {
    const values = form.getAll(name);
    if (values.length > 1) return null; // ambiguous: which one did the person type?
    return values[0];
  };

  const username = single('username');
  const password = single('password');
  const ipaddress = single('ipaddress');
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
    const staffInterface = single('interface');
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
