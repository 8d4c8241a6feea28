import { deadlineIn } from '../../src/login/deadline.js';
import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LoginAttempt, LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import type { OidcConnectorConfig } from '../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../src/connectors/oidc/oidc-connector.js';
import { answerIdentity } from '../../src/loginshare/login-flow.js';
import { evaluateRules, parseRules } from '../../src/rules/index.js';
import { KEYCLOAK_BRUTE_FORCE, KEYCLOAK_CLIENTS, KEYCLOAK_USERS } from '../support/keycloak-fixture.js';
import { presetConnector } from '../support/presets.js';
import { keycloakAdmin } from '../support/keycloak-admin.js';
import { describeWithServer } from '../support/require-server.js';

/**
 * The OIDC connector, configured from providers/keycloak/connector.yaml, against the real Keycloak the test
 * harness starts (realm test/fixtures/keycloak/realm-loginshare.json): every answer a Kayako login can get,
 * and a success carried through the rules to the XML Kayako reads.
 */
const RULES = parseRules(
  `defaults:
  user: { usergroup: Registered, organizationtype: restricted }
  staff: { designation: "{{ claims.jobTitle }}" }
unmatched: { user: default, staff: deny }
rules:
  - name: support-staff
    audience: staff
    when: { groups: { all: [Helpdesk-Agents, Support, kayako-staff] } }
    set: { team: Support }
  - name: enterprise-customers
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: BigCorp, organizationtype: shared, designation: "{{ claims.jobTitle }}" }
`,
  'keycloak-rules.yaml',
);

const xml = new XMLParser({ parseTagValue: false });
const deadline = () => deadlineIn(20_000);

describeWithServer('keycloak', 'Keycloak through the OIDC connector (keycloak preset)', (keycloak) => {
  const connectors: PasswordConnector[] = [];
  const attempt = (username: string, password: string, over: Partial<LoginAttempt> = {}): LoginAttempt => ({
    username,
    password,
    endUserIp: '192.0.2.10',
    audience: 'user',
    realmId: 'main',
    ...over,
  });

  function keycloakConnector(client = KEYCLOAK_CLIENTS.bridge): PasswordConnector {
    const config: OidcConnectorConfig = presetConnector(
      'keycloak',
      { issuer: keycloak.issuer, clientId: client.clientId, allowInsecureHttp: true, timeoutMs: 15_000 },
      { KEYCLOAK_CLIENT_SECRET: client.secret! },
    );
    const connector = createOidcConnector(config);
    connectors.push(connector);
    return connector;
  }

  let connector: PasswordConnector;
  beforeAll(() => {
    connector = keycloakConnector();
  });
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close?.()));
  });

  function identityOf(outcome: LoginOutcome) {
    if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${outcome.kind}: ${'cause' in outcome ? outcome.cause.message : outcome.kind}`);
    return outcome.identity;
  }

  it('logs in a customer with groups from the token and answers Kayako with the rules’ user profile', async () => {
    const alice = KEYCLOAK_USERS.alice;
    const identity = identityOf(await connector.login(attempt(alice.username, alice.password), deadline()));
    expect(identity).toMatchObject({
      username: 'alice',
      emails: ['alice@bigcorp.com'],
      givenName: 'Alice',
      familyName: 'Anderson',
      displayName: 'Alice Anderson',
      connectorId: 'corp-keycloak',
    });
    expect(identity.groups.sort()).toEqual(['Customers', 'Enterprise']);

    const decision = evaluateRules(RULES, { audience: 'user', identity, realmId: 'main' });
    const answer = answerIdentity('user', identity, decision, connector.id);
    expect(answer).toMatchObject({ outcome: 'ok', rule: 'enterprise-customers', usergroup: 'Enterprise' });
    expect(xml.parse(answer.xml)).toMatchObject({
      loginshare: {
        result: '1',
        user: {
          usergroup: 'Enterprise',
          fullname: 'Alice Anderson',
          designation: 'Purchasing Manager',
          organization: 'BigCorp',
          organizationtype: 'shared',
          emails: { email: 'alice@bigcorp.com' },
        },
      },
    });
  });

  it('maps groups and realm roles together, and a staff login gets its team', async () => {
    const bob = KEYCLOAK_USERS.bobAgent;
    const identity = identityOf(await connector.login(attempt(bob.username, bob.password, { audience: 'staff', staffInterface: 'staff' }), deadline()));
    // groups claim (nested /Corp/Support by name) + the `roles` claim of realm roles.
    expect(identity.groups.sort()).toEqual(['Helpdesk-Agents', 'Support', 'kayako-staff']);

    const decision = evaluateRules(RULES, { audience: 'staff', identity, realmId: 'main', staffInterface: 'staff' });
    const answer = answerIdentity('staff', identity, decision, connector.id);
    expect(answer).toMatchObject({ outcome: 'ok', rule: 'support-staff', team: 'Support' });
    expect(xml.parse(answer.xml)).toMatchObject({
      loginshare: {
        result: '1',
        staff: { team: 'Support', firstname: 'Bob', lastname: 'Baker', designation: 'Support Engineer', email: 'bob@helpdesk.example.com' },
      },
    });
  });

  it('logs in a user whose email Keycloak has not verified, and answers Kayako that there is no verified email', async () => {
    const uma = KEYCLOAK_USERS.unverifiedUma;
    const identity = identityOf(await connector.login(attempt(uma.username, uma.password), deadline()));
    expect(identity.emails).toEqual([]);
    const answer = answerIdentity('user', identity, evaluateRules(RULES, { audience: 'user', identity, realmId: 'main' }), connector.id);
    expect(answer).toMatchObject({ outcome: 'incomplete_profile' });
    expect(xml.parse(answer.xml)).toMatchObject({
      loginshare: { result: '0', message: 'Your account has no verified email address, which the help desk needs. Please contact your IT help desk.' },
    });
  });

  it('answers a wrong password and an unknown user as invalid credentials', async () => {
    expect((await connector.login(attempt(KEYCLOAK_USERS.mistypedMike.username, 'not-his-password'), deadline())).kind).toBe('invalid_credentials');
    expect((await connector.login(attempt('nobody-by-this-name', 'whatever-1'), deadline())).kind).toBe('invalid_credentials');
  });

  it('records a disabled account as disabled, but conceals it from the person (Keycloak says so even to a wrong password)', async () => {
    const dave = KEYCLOAK_USERS.disabledDave;
    const outcome = await connector.login(attempt(dave.username, dave.password), deadline());
    expect(outcome).toMatchObject({ kind: 'disabled', concealed: true });
    expect(await connector.login(attempt(dave.username, 'certainly-not-his-password'), deadline())).toMatchObject({ kind: 'disabled', concealed: true });
  });

  it('answers a pending required action with "needs attention" and tells the operator why', async () => {
    const paula = KEYCLOAK_USERS.pendingPaula;
    const outcome = await connector.login(attempt(paula.username, paula.password), deadline());
    expect(outcome.kind).toBe('password_expired');
    if (outcome.kind === 'password_expired') expect(outcome.detail).toMatch(/required action/);
  });

  it(`after ${KEYCLOAK_BRUTE_FORCE.maxFailures} failures Keycloak locks the user: the right password then fails like a wrong one`, async () => {
    // A user of this test's own (the realm's brute-force counters are shared by every test file of the run).
    const admin = await adminApi();
    const bookkeeping = await keycloakAdmin(keycloak);
    const username = `lockout-${randomBytes(4).toString('hex')}`;
    const pw = `Pw-${randomBytes(6).toString('hex')}`;
    const id = await admin.createUser(username, pw);
    try {
      expect((await connector.login(attempt(username, pw), deadline())).kind).toBe('ok');
      // Keycloak counts failures (and resets them on success) in the background after answering: wait for
      // each step's bookkeeping, or the test races it.
      await bookkeeping.waitForBruteForce(id, (s) => s.numFailures === 0);
      for (let i = 0; i < KEYCLOAK_BRUTE_FORCE.maxFailures; i++) {
        expect((await connector.login(attempt(username, `wrong-${i}`), deadline())).kind).toBe('invalid_credentials');
        await bookkeeping.waitForBruteForce(id, (s) => s.numFailures === i + 1 || s.disabled);
      }
      // Keycloak deliberately answers a locked user like a wrong password; Kayako counts it like one.
      expect((await connector.login(attempt(username, pw), deadline())).kind).toBe('invalid_credentials');
      expect(await admin.bruteForceStatus(id)).toMatchObject({ disabled: true });
    } finally {
      await admin.deleteUser(id);
    }
  });

  it('tells the operator to enable direct access grants when the client has them off', async () => {
    const noDirect = keycloakConnector(KEYCLOAK_CLIENTS.noDirectGrant);
    const alice = KEYCLOAK_USERS.alice;
    const outcome = await noDirect.login(attempt(alice.username, alice.password), deadline());
    expect(outcome.kind).toBe('misconfigured');
    if (outcome.kind === 'misconfigured') expect(outcome.cause.message).toMatch(/unauthorized_client.*Direct access grants/);
  });

  async function adminApi() {
    const tokenResponse = await fetch(`${keycloak.url}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: keycloak.adminUsername, password: keycloak.adminPassword }),
      signal: AbortSignal.timeout(5_000),
    });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${keycloak.url}/admin/realms/${keycloak.realm}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(5_000),
      });
    return {
      async createUser(username: string, password: string): Promise<string> {
        const created = await call('/users', {
          method: 'POST',
          body: JSON.stringify({
            username,
            enabled: true,
            email: `${username}@example.com`,
            emailVerified: true,
            firstName: 'Lock',
            lastName: 'Out',
            credentials: [{ type: 'password', value: password, temporary: false }],
          }),
        });
        expect(created.status).toBe(201);
        return created.headers.get('location')!.split('/').pop()!;
      },
      async bruteForceStatus(id: string): Promise<Record<string, unknown>> {
        return (await (await call(`/attack-detection/brute-force/users/${id}`)).json()) as Record<string, unknown>;
      },
      async deleteUser(id: string): Promise<void> {
        await call(`/users/${id}`, { method: 'DELETE' });
      },
    };
  }
});
