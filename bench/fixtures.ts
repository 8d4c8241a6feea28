/**
 * What every party of the benchmark agrees on: the OIDC client, the directory of users, the realm secret and
 * the request bodies. Users are `u0 … u<n-1>`; each one's password is `pw-<username>`.
 */
export const CLIENT_ID = 'kayakobridge';
export const CLIENT_SECRET = 'bench-client-secret';
export const REALM_ID = 'bench';
export const REALM_SECRET = 'bench-realm-secret-0123456789';
export const SCOPE = 'openid profile email';

export function userName(index: number): string {
  return `u${index}`;
}

export function passwordOf(username: string): string {
  return `pw-${username}`;
}

/** A few group memberships so the rules have something to match on (when the token carries groups). */
export function tokenGroupsOf(username: string): string[] {
  const n = Number.parseInt(username.slice(1), 10) || 0;
  if (n % 10 === 0) return ['Customers', 'Enterprise'];
  if (n % 10 === 1) return ['Customers', 'Partners'];
  return ['Customers'];
}

/** All groups of a user in "overage" mode, as the Graph-like endpoint lists them. */
export function allGroupsOf(username: string, count: number): string[] {
  const groups = tokenGroupsOf(username);
  for (let i = groups.length; i < count; i++) groups.push(`Team-${String(i).padStart(3, '0')}`);
  return groups;
}

export function basicAuthorization(): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(CLIENT_ID)}:${encode(CLIENT_SECRET)}`).toString('base64')}`;
}

/** The password-grant request body target A gets (what a bridge sends to the IdP). */
export function tokenRequestBody(username: string): string {
  return new URLSearchParams({ grant_type: 'password', username, password: passwordOf(username), scope: SCOPE }).toString();
}

/** The LoginShare POST body Kayako sends to targets B and C. */
export function loginShareBody(username: string, index: number): string {
  return new URLSearchParams({
    username,
    password: passwordOf(username),
    ipaddress: `203.0.${(index >> 8) & 255}.${index & 255}`,
  }).toString();
}
