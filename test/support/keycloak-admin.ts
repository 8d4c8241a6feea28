import { setTimeout as sleep } from 'node:timers/promises';
import type { KeycloakServerInfo } from './servers/keycloak.js';

/**
 * The bits of Keycloak's admin REST API the tests need to see what the wire does not say.
 *
 * Keycloak 26 records brute-force failures and success resets on a background executor, after the token
 * endpoint has answered. A test that fails N times and immediately tries again races that bookkeeping;
 * wait for it with `waitForBruteForce` instead.
 */
export interface BruteForceStatus {
  numFailures: number;
  disabled: boolean;
  [other: string]: unknown;
}

export interface KeycloakAdmin {
  userId(username: string): Promise<string>;
  bruteForceStatus(userId: string): Promise<BruteForceStatus>;
  /** Polls until `done(status)` holds; throws after `timeoutMs` with the last status seen. */
  waitForBruteForce(userId: string, done: (status: BruteForceStatus) => boolean, timeoutMs?: number): Promise<BruteForceStatus>;
}

export async function keycloakAdmin(keycloak: KeycloakServerInfo): Promise<KeycloakAdmin> {
  const tokenResponse = await fetch(`${keycloak.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: keycloak.adminUsername, password: keycloak.adminPassword }),
    signal: AbortSignal.timeout(15_000),
  });
  if (tokenResponse.status !== 200) throw new Error(`Keycloak admin login failed: HTTP ${tokenResponse.status}`);
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };

  async function get<T>(path: string): Promise<T> {
    const response = await fetch(`${keycloak.url}/admin/realms/${keycloak.realm}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 200) throw new Error(`Keycloak admin GET ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  const admin: KeycloakAdmin = {
    async userId(username) {
      const [user] = await get<{ id: string }[]>(`/users?exact=true&username=${encodeURIComponent(username)}`);
      if (!user) throw new Error(`${username} is not in realm ${keycloak.realm}`);
      return user.id;
    },
    bruteForceStatus: (userId) => get<BruteForceStatus>(`/attack-detection/brute-force/users/${userId}`),
    async waitForBruteForce(userId, done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await admin.bruteForceStatus(userId);
        if (done(status)) return status;
        if (Date.now() > deadline) throw new Error(`brute-force status still ${JSON.stringify(status)} after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
  };
  return admin;
}
