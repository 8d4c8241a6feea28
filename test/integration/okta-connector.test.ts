import { deadlineIn } from '../../src/login/deadline.js';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import type { LoginAttempt, LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { oidcConnectorSchema, type OidcConnectorConfig } from '../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../src/connectors/oidc/oidc-connector.js';
import type { GroupCacheOptions } from '../../src/groups/index.js';
import { OKTA_GROUPS_CLAIM_LIMIT, startFakeOkta, type FakeOkta, type FakeOktaUser } from '../support/fake-okta.js';
import { presetConnector } from '../support/presets.js';
import { startConnectProxy } from '../support/connect-proxy.js';

/**
 * The OIDC connector, configured from providers/okta/connector.yaml, against a faithful fake Okta org
 * (test/support/fake-okta.ts cites Okta's documents for each behaviour): password grant, the groups claim cut
 * at 100, and the groups API fallback with Link paging, authenticated by API token or as a service app.
 */
const range = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i + 1));

const USERS: FakeOktaUser[] = [
  { login: 'alice@acme.example', password: 'Alice-pw-1', firstName: 'Alice', lastName: 'Archer', email: 'alice@acme.example', groups: ['Helpdesk-Agents'] },
  {
    login: 'bob@acme.example',
    password: 'Bob-pw-1',
    firstName: 'Bob',
    lastName: 'Baker',
    email: 'bob@acme.example',
    // 150 + Everyone: the claim stops at 100, Helpdesk-Admins (last) among the dropped.
    groups: [...range(149, (i) => `Team-${String(i).padStart(3, '0')}`), 'Helpdesk-Admins'],
  },
  { login: 'carol@acme.example', password: 'Carol-pw-1', firstName: 'Carol', lastName: 'Cole', email: 'carol@acme.example', groups: ['Customers'], assigned: false },
  { login: 'dan@acme.example', password: 'Dan-pw-1', firstName: 'Dan', lastName: 'Dee', email: 'dan@acme.example', groups: [], mfaRequired: true },
  { login: 'lola@acme.example', password: 'Lola-pw-1', firstName: 'Lola', lastName: 'Lock', email: 'lola@acme.example', groups: [], status: 'LOCKED_OUT' },
];
const password = (login: string) => USERS.find((u) => u.login === login)!.password;
const attempt = (username: string, pw = password(username)): LoginAttempt => ({
  username,
  password: pw,
  endUserIp: '198.51.100.4',
  audience: 'user',
  realmId: 'main',
});
const deadline = () => deadlineIn(15_000);

const connectors: PasswordConnector[] = [];
function connectorWith(config: OidcConnectorConfig, groupCache?: GroupCacheOptions): PasswordConnector {
  const connector = createOidcConnector(config, groupCache ? { groupCache } : {});
  connectors.push(connector);
  return connector;
}
const memoryGroupCache = (results: string[] = []): GroupCacheOptions => ({
  cache: createMemoryCache({ maxEntries: 1_000 }),
  ttlSeconds: 300,
  onResult: (r) => results.push(r),
});
function identityOf(outcome: LoginOutcome) {
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${outcome.kind}: ${'cause' in outcome ? outcome.cause.message : ''}`);
  return outcome.identity;
}

const service = { clientId: '0oa1groupsreader0x7', keyId: 'bridge-key-1' };
let servicePrivateKeyPem: string;
let okta: FakeOkta;

/** The Okta preset against the fake, with the groups API reached by an SSWS token unless told otherwise. */
function oktaConfig(fake: FakeOkta, auth: Record<string, unknown> = { type: 'ssws', token: fake.apiToken }, extra: Record<string, unknown> = {}): OidcConnectorConfig {
  const preset = presetConnector('okta', { issuer: fake.issuer, clientId: fake.clientId, allowInsecureHttp: true, timeoutMs: 5_000, ...extra }, {
    OKTA_CLIENT_SECRET: fake.clientSecret,
  });
  // `auth` is replaced, not merged: ssws and oauth have different fields.
  return oidcConnectorSchema.parse({ ...preset, groups: { source: 'okta', okta: { ...(preset.groups.source === 'okta' ? preset.groups.okta : {}), auth } } });
}

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  servicePrivateKeyPem = await exportPKCS8(privateKey);
  okta = await startFakeOkta({
    users: USERS,
    maxPageSize: 60,
    serviceApp: { clientId: service.clientId, publicJwk: { ...(await exportJWK(publicKey)), kid: service.keyId }, scopes: ['okta.users.read'] },
  });
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close?.()));
  await okta?.stop();
});

describe('Okta: logins and groups', () => {
  it('sends the password grant, the service-app token request and the groups API through HTTP_PROXY', async () => {
    const proxy = await startConnectProxy();
    const saved = process.env['HTTP_PROXY'];
    process.env['HTTP_PROXY'] = proxy.url;
    try {
      const auth = { type: 'oauth', clientId: service.clientId, privateKey: servicePrivateKeyPem, privateKeyId: service.keyId, scopes: ['okta.users.read'] };
      const connector = connectorWith(oktaConfig(okta, auth));
      okta.resetCounters();
      const identity = identityOf(await connector.login(attempt('bob@acme.example'), deadline()));
      expect(identity.groups).toContain('Helpdesk-Admins');
      expect(okta.counters()).toMatchObject({ tokenRequests: 1, appTokenRequests: 1 });
      const sent = proxy.requests();
      expect(sent).toContain('POST /oauth2/v1/token');
      expect(sent.filter((r) => r === 'POST /oauth2/v1/token')).toHaveLength(2);
      expect(sent).toContain(`GET /api/v1/users/${okta.userId('bob@acme.example')}/groups`);
      expect(proxy.tunnels().every((t) => t === new URL(okta.issuer).host)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env['HTTP_PROXY'];
      else process.env['HTTP_PROXY'] = saved;
      await proxy.stop();
    }
  });

  it('logs in with the groups claim when it is complete, without calling the groups API', async () => {
    const connector = connectorWith(oktaConfig(okta), memoryGroupCache());
    okta.resetCounters();
    const identity = identityOf(await connector.login(attempt('alice@acme.example'), deadline()));
    expect(identity).toMatchObject({
      subject: okta.userId('alice@acme.example'),
      username: 'alice@acme.example',
      emails: ['alice@acme.example'],
      givenName: 'Alice',
      familyName: 'Archer',
    });
    expect(identity.groups.sort()).toEqual(['Everyone', 'Helpdesk-Agents']);
    expect(okta.counters().groupsApiRequests).toBe(0);
  });

  it('reads every group from the API when the claim is cut at 100, through Link paging, then from the cache', async () => {
    const results: string[] = [];
    const connector = connectorWith(oktaConfig(okta), memoryGroupCache(results));
    okta.resetCounters();
    const first = identityOf(await connector.login(attempt('bob@acme.example'), deadline()));
    expect(first.claims['groups']).toHaveLength(OKTA_GROUPS_CLAIM_LIMIT);
    expect(first.claims['groups']).not.toContain('Helpdesk-Admins');
    expect(first.groups).toHaveLength(151);
    expect(first.groups).toContain('Helpdesk-Admins');
    // 151 groups at 60 a page.
    expect(okta.counters().groupsApiRequests).toBe(3);

    const second = identityOf(await connector.login(attempt('bob@acme.example'), deadline()));
    expect(second.groups).toHaveLength(151);
    expect(okta.counters().groupsApiRequests).toBe(3);
    expect(results).toEqual(['miss', 'hit']);
  });

  it('reads the groups from the API when the token has no groups claim (scope not requested)', async () => {
    const connector = connectorWith(oktaConfig(okta, undefined, { scopes: ['openid', 'profile', 'email'] }), memoryGroupCache());
    okta.resetCounters();
    const identity = identityOf(await connector.login(attempt('alice@acme.example'), deadline()));
    expect(identity.claims['groups']).toBeUndefined();
    expect(identity.groups.sort()).toEqual(['Everyone', 'Helpdesk-Agents']);
    expect(okta.counters().groupsApiRequests).toBe(1);
  });

  it('authenticates to the API as a service app (private_key_jwt), one app token for many lookups', async () => {
    const auth = { type: 'oauth', clientId: service.clientId, privateKey: servicePrivateKeyPem, privateKeyId: service.keyId, scopes: ['okta.users.read'] };
    const connector = connectorWith(oktaConfig(okta, auth, { scopes: ['openid', 'profile', 'email'] }), memoryGroupCache());
    okta.resetCounters();
    expect(identityOf(await connector.login(attempt('alice@acme.example'), deadline())).groups).toContain('Helpdesk-Agents');
    expect(identityOf(await connector.login(attempt('bob@acme.example'), deadline())).groups).toHaveLength(151);
    expect(okta.counters()).toMatchObject({ appTokenRequests: 1, groupsApiRequests: 4 });
  });

  it('refuses the login (unavailable) when the API rejects the token, rather than use a truncated claim', async () => {
    const connector = connectorWith(oktaConfig(okta, { type: 'ssws', token: 'revoked-token' }), memoryGroupCache());
    const outcome = await connector.login(attempt('bob@acme.example'), deadline());
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind === 'unavailable') expect(outcome.cause.message).toMatch(/HTTP 401 E0000011: Invalid token provided/);
  });

  it('refuses the login when the service app lacks the okta.users.read grant', async () => {
    const auth = { type: 'oauth', clientId: service.clientId, privateKey: servicePrivateKeyPem, privateKeyId: service.keyId, scopes: ['okta.groups.read'] };
    const connector = connectorWith(oktaConfig(okta, auth), memoryGroupCache());
    const outcome = await connector.login(attempt('bob@acme.example'), deadline());
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind === 'unavailable') expect(outcome.cause.message).toMatch(/not permitted: okta\.groups\.read/);
  });
});

describe('Okta: error answers', () => {
  it.each([
    ['a wrong password', 'alice@acme.example', 'wrong', 'invalid_credentials'],
    ['an unknown user', 'nobody@acme.example', 'whatever', 'invalid_credentials'],
    ['a locked-out user (indistinguishable)', 'lola@acme.example', 'Lola-pw-1', 'invalid_credentials'],
    ['a user not assigned to the app', 'carol@acme.example', 'Carol-pw-1', 'disabled'],
    ['MFA required by policy', 'dan@acme.example', 'Dan-pw-1', 'mfa_required'],
  ])('maps %s', async (_name, username, pw, expected) => {
    const connector = connectorWith(oktaConfig(okta));
    expect((await connector.login(attempt(username, pw), deadline())).kind).toBe(expected);
  });

  it('tells the operator to enable the password grant on the app', async () => {
    const noPassword = await startFakeOkta({ users: USERS, grantTypes: ['authorization_code'] });
    try {
      const outcome = await connectorWith(oktaConfig(noPassword)).login(attempt('alice@acme.example'), deadline());
      expect(outcome.kind).toBe('misconfigured');
      if (outcome.kind === 'misconfigured') expect(outcome.cause.message).toMatch(/Resource Owner Password grant/);
    } finally {
      await noPassword.stop();
    }
  });

  it('works with a custom authorization server (/oauth2/default), the API on the org URL', async () => {
    const custom = await startFakeOkta({ users: USERS, authorizationServer: 'default' });
    try {
      expect(custom.issuer).toBe(`${custom.orgUrl}/oauth2/default`);
      // A custom AS does not know the `groups` scope: it has a groups claim of its own instead.
      const connector = connectorWith(oktaConfig(custom, { type: 'ssws', token: custom.apiToken }, { scopes: ['openid', 'profile', 'email'] }), memoryGroupCache());
      const identity = identityOf(await connector.login(attempt('bob@acme.example'), deadline()));
      expect(identity.groups).toHaveLength(151);
      expect(custom.counters().groupsApiRequests).toBeGreaterThan(0);
    } finally {
      await custom.stop();
    }
  });
});
