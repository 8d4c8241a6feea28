import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { expect, it } from 'vitest';
import { KEYCLOAK_BRUTE_FORCE, KEYCLOAK_CLIENTS, KEYCLOAK_USERS, type KeycloakFixtureClient } from '../support/keycloak-fixture.js';
import { keycloakAdmin } from '../support/keycloak-admin.js';
import { describeWithServer } from '../support/require-server.js';

/**
 * What a real Keycloak 26 answers to the OAuth password grant (direct access grant) in each situation the
 * OIDC connector must tell apart. The connector's error mapping relies on exactly these statuses,
 * `error` codes and descriptions; if an upgrade changes them, this file says so first.
 */

interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

describeWithServer('keycloak', 'Keycloak password grant on the wire', (keycloak) => {
  const tokenEndpoint = `${keycloak.issuer}/protocol/openid-connect/token`;

  async function passwordGrant(username: string, password: string, client: KeycloakFixtureClient = KEYCLOAK_CLIENTS.bridge): Promise<TokenAnswer> {
    const form = new URLSearchParams({ grant_type: 'password', client_id: client.clientId, username, password, scope: 'openid' });
    if (client.secret !== undefined) form.set('client_secret', client.secret);
    const response = await fetch(tokenEndpoint, { method: 'POST', body: form, signal: AbortSignal.timeout(15_000) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('answers a good password with tokens whose ID token carries groups, names, email and jobTitle', async () => {
    const alice = KEYCLOAK_USERS.alice;
    const answer = await passwordGrant(alice.username, alice.password);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer' });
    const idToken = decodeJwt(String(answer.body.id_token));
    expect(idToken).toMatchObject({
      iss: keycloak.issuer,
      aud: KEYCLOAK_CLIENTS.bridge.clientId,
      preferred_username: 'alice',
      email: 'alice@bigcorp.com',
      email_verified: true,
      given_name: 'Alice',
      family_name: 'Anderson',
      name: 'Alice Anderson',
      jobTitle: 'Purchasing Manager',
    });
    expect([...(idToken.groups as string[])].sort()).toEqual(['Customers', 'Enterprise']);
  });

  it('puts a nested group in the groups claim by its own name, without its parent, and realm roles in `roles`', async () => {
    const bob = KEYCLOAK_USERS.bobAgent;
    const answer = await passwordGrant(bob.username, bob.password);
    expect(answer.status).toBe(200);
    const idToken = decodeJwt(String(answer.body.id_token));
    // The mapper has full.path false: /Corp/Support arrives as "Support", and membership is not inherited.
    expect([...(idToken.groups as string[])].sort()).toEqual(['Helpdesk-Agents', 'Support']);
    expect(idToken.roles).toEqual(['kayako-staff']);
  });

  it('signs the ID token with a key from the realm JWKS (what enableNonRepudiationChecks verifies)', async () => {
    const alice = KEYCLOAK_USERS.alice;
    const answer = await passwordGrant(alice.username, alice.password);
    const jwks = createRemoteJWKSet(new URL(`${keycloak.issuer}/protocol/openid-connect/certs`));
    const { payload, protectedHeader } = await jwtVerify(String(answer.body.id_token), jwks, {
      issuer: keycloak.issuer,
      audience: KEYCLOAK_CLIENTS.bridge.clientId,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toEqual(expect.any(String));
  });

  it('lets a public client use the password grant without a secret', async () => {
    const alice = KEYCLOAK_USERS.alice;
    const answer = await passwordGrant(alice.username, alice.password, KEYCLOAK_CLIENTS.public);
    expect(answer.status).toBe(200);
    expect(decodeJwt(String(answer.body.id_token)).aud).toBe(KEYCLOAK_CLIENTS.public.clientId);
  });

  it('logs in a user whose email is not verified (realm "Verify email" off), with email_verified false in the ID token', async () => {
    const uma = KEYCLOAK_USERS.unverifiedUma;
    const answer = await passwordGrant(uma.username, uma.password);
    expect(answer.status).toBe(200);
    expect(decodeJwt(String(answer.body.id_token))).toMatchObject({ email: 'uma@example.com', email_verified: false });
  });

  it('runs the Keycloak version the provider guide names', async () => {
    const admin = await fetch(`${keycloak.url}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: keycloak.adminUsername, password: keycloak.adminPassword }),
    });
    const { access_token: token } = (await admin.json()) as { access_token: string };
    const info = (await (await fetch(`${keycloak.url}/admin/serverinfo`, { headers: { authorization: `Bearer ${token}` } })).json()) as { systemInfo: { version: string } };
    const guide = readFileSync(new URL('../../providers/keycloak/README.md', import.meta.url), 'utf8');
    expect(guide).toContain(`Checked against Keycloak ${info.systemInfo.version}`);
  });

  it('answers a wrong password with 401 invalid_grant "Invalid user credentials"', async () => {
    const answer = await passwordGrant(KEYCLOAK_USERS.mistypedMike.username, 'not-his-password');
    expect(answer).toEqual({ status: 401, body: { error: 'invalid_grant', error_description: 'Invalid user credentials' } });
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    const answer = await passwordGrant('nobody-by-this-name', 'whatever-1');
    expect(answer).toEqual({ status: 401, body: { error: 'invalid_grant', error_description: 'Invalid user credentials' } });
  });

  it('answers a disabled account with 400 invalid_grant "Account disabled", with the right password or a wrong one', async () => {
    const dave = KEYCLOAK_USERS.disabledDave;
    const expected = { status: 400, body: { error: 'invalid_grant', error_description: 'Account disabled' } };
    expect(await passwordGrant(dave.username, dave.password)).toEqual(expected);
    // Keycloak checks "enabled" before the password: the answer reveals the state without the password.
    expect(await passwordGrant(dave.username, 'not-his-password')).toEqual(expected);
  });

  it('answers a pending required action (UPDATE_PASSWORD) with 400 "Account is not fully set up"', async () => {
    const paula = KEYCLOAK_USERS.pendingPaula;
    expect(await passwordGrant(paula.username, paula.password)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Account is not fully set up' },
    });
    // Unlike "disabled", this state is only revealed to someone who knows the password.
    expect((await passwordGrant(paula.username, 'not-her-password')).body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid user credentials',
    });
  });

  it('answers a user missing a required profile attribute (last name) with the same "Account is not fully set up"', async () => {
    const ivan = KEYCLOAK_USERS.incompleteIvan;
    expect(await passwordGrant(ivan.username, ivan.password)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Account is not fully set up' },
    });
  });

  it(`locks a user after ${KEYCLOAK_BRUTE_FORCE.maxFailures} failures: then the right password gets the wrong-password answer`, async () => {
    const lucy = KEYCLOAK_USERS.lockedLucy;
    const admin = await keycloakAdmin(keycloak);
    const lucyId = await admin.userId(lucy.username);
    // Keycloak counts failures (and resets them on success) in the background after answering, so each
    // step waits for its bookkeeping before the next, or the test would race it.
    expect((await passwordGrant(lucy.username, 'wrong-0')).status).toBe(401);
    await admin.waitForBruteForce(lucyId, (s) => s.numFailures === 1);
    // Control: her password works, and a success resets the count.
    expect((await passwordGrant(lucy.username, lucy.password)).status).toBe(200);
    await admin.waitForBruteForce(lucyId, (s) => s.numFailures === 0);
    for (let failure = 1; failure <= KEYCLOAK_BRUTE_FORCE.maxFailures; failure++) {
      expect((await passwordGrant(lucy.username, `wrong-${failure}`)).status).toBe(401);
      await admin.waitForBruteForce(lucyId, (s) => s.numFailures === failure);
    }
    expect(await admin.bruteForceStatus(lucyId)).toMatchObject({ disabled: true });
    // Deliberately indistinguishable from a wrong password: the connector cannot report "locked" from this.
    expect(await passwordGrant(lucy.username, lucy.password)).toEqual({
      status: 401,
      body: { error: 'invalid_grant', error_description: 'Invalid user credentials' },
    });
  });

  it('refuses the password grant for a client with direct access grants off: 400 unauthorized_client', async () => {
    const alice = KEYCLOAK_USERS.alice;
    expect(await passwordGrant(alice.username, alice.password, KEYCLOAK_CLIENTS.noDirectGrant)).toEqual({
      status: 400,
      body: { error: 'unauthorized_client', error_description: 'Client not allowed for direct access grants' },
    });
  });

  it('refuses a wrong client secret with 401 unauthorized_client, whatever the user password', async () => {
    const alice = KEYCLOAK_USERS.alice;
    const wrongSecret = { ...KEYCLOAK_CLIENTS.bridge, secret: 'not-the-client-secret' };
    expect(await passwordGrant(alice.username, alice.password, wrongSecret)).toEqual({
      status: 401,
      body: { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' },
    });
  });
});
