import { deadlineIn } from '../../src/login/deadline.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import type { LoginAttempt, LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { oidcConnectorSchema, type OidcConnectorConfig } from '../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../src/connectors/oidc/oidc-connector.js';
import { groupCacheKey, type GroupCacheOptions } from '../../src/groups/index.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startTestBridge } from '../support/bridge-harness.js';
import { startFakeEntra, type FakeEntra, type FakeEntraUser } from '../support/fake-entra.js';
import { presetConnector } from '../support/presets.js';
import { describeWithServer } from '../support/require-server.js';
import { startRedis } from '../support/servers/redis.js';

/**
 * The OIDC connector, configured from providers/entra-id/connector.yaml, against a faithful fake of an Entra
 * tenant and Microsoft Graph (test/support/fake-entra.ts cites the Microsoft documents each behaviour comes
 * from): ROPC logins, AADSTS error codes, the 200-group overage and Graph `transitiveMemberOf` paging, cached.
 */
const range = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i + 1));

const USERS: FakeEntraUser[] = [
  {
    upn: 'adele@contoso.example',
    password: 'Adele-pw-1',
    displayName: 'Adele Vance',
    givenName: 'Adele',
    surname: 'Vance',
    mail: 'Adele.Vance@contoso.example',
    mailDomainVerified: true,
    groups: ['Helpdesk-Agents', 'All Staff'],
  },
  {
    // The done-criterion user: 250 groups, so the token has the overage claim and no groups.
    upn: 'megan@contoso.example',
    password: 'Megan-pw-1',
    displayName: 'Megan Bowen',
    mail: 'megan@contoso.example',
    mailDomainVerified: true,
    groups: range(250, (i) => `Project-${String(i).padStart(3, '0')}`),
    directoryRoles: ['Global Reader', 'Helpdesk Administrator'],
  },
  {
    upn: 'lynne@contoso.example',
    password: 'Lynne-pw-1',
    displayName: 'Lynne Robbins',
    mail: 'lynne@contoso.example',
    mailDomainVerified: true,
    groups: range(2_100, (i) => `Team-${String(i).padStart(4, '0')}`),
  },
  {
    // Set her own `mail` to the CEO's address: the nOAuth pattern.
    upn: 'mallory@contoso.example',
    password: 'Mallory-pw-1',
    displayName: 'Mallory',
    mail: 'ceo@contoso.example',
    mailDomainVerified: false,
    groups: [],
  },
  { upn: 'dave@contoso.example', password: 'Dave-pw-1', displayName: 'Dave', groups: [], state: 'disabled' },
  { upn: 'lucy@contoso.example', password: 'Lucy-pw-1', displayName: 'Lucy', groups: [], state: 'locked' },
  { upn: 'paula@contoso.example', password: 'Paula-pw-1', displayName: 'Paula', groups: [], state: 'password_expired' },
  { upn: 'miriam@contoso.example', password: 'Miriam-pw-1', displayName: 'Miriam', groups: [], state: 'mfa_required' },
  { upn: 'carl@contoso.example', password: 'Carl-pw-1', displayName: 'Carl', groups: [], state: 'ca_blocked' },
];
const password = (upn: string) => USERS.find((u) => u.upn === upn)!.password;

const attempt = (username: string, pw = password(username)): LoginAttempt => ({
  username,
  password: pw,
  endUserIp: '203.0.113.7',
  audience: 'user',
  realmId: 'main',
});
const deadline = () => deadlineIn(15_000);

let entra: FakeEntra;
const connectors: PasswordConnector[] = [];

/** The Entra preset pointed at the fake, plus per-test overrides. */
function entraConfig(overrides: Record<string, unknown> = {}): OidcConnectorConfig {
  return presetConnector(
    'entra-id',
    {
      issuer: entra.issuer,
      clientId: entra.clientId,
      allowInsecureHttp: true,
      timeoutMs: 5_000,
      groups: { source: 'graph', graph: { baseUrl: entra.graphBaseUrl } },
      ...overrides,
    },
    { ENTRA_CLIENT_SECRET: entra.clientSecret! },
  );
}

function connectorWith(config: OidcConnectorConfig, groupCache?: GroupCacheOptions): PasswordConnector {
  const connector = createOidcConnector(config, groupCache ? { groupCache } : {});
  connectors.push(connector);
  return connector;
}

function memoryGroupCache(results: string[] = []): GroupCacheOptions {
  return { cache: createMemoryCache({ maxEntries: 1_000 }), ttlSeconds: 300, onResult: (r) => results.push(r) };
}

function identityOf(outcome: LoginOutcome) {
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${outcome.kind}: ${'cause' in outcome ? outcome.cause.message : ''}`);
  return outcome.identity;
}

beforeAll(async () => {
  entra = await startFakeEntra({
    clientSecret: 'entra-client-secret-value',
    optionalClaims: ['email', 'xms_edov', 'given_name', 'family_name'],
    users: USERS,
  });
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close?.()));
  await entra?.stop();
});

describe('Entra ID: logins and groups', () => {
  it('logs in a member of a few groups with the group ids from the token, without calling Graph', async () => {
    const connector = connectorWith(entraConfig(), memoryGroupCache());
    entra.resetCounters();
    const identity = identityOf(await connector.login(attempt('adele@contoso.example'), deadline()));
    expect(identity).toMatchObject({
      username: 'adele@contoso.example',
      emails: ['Adele.Vance@contoso.example'],
      givenName: 'Adele',
      familyName: 'Vance',
      displayName: 'Adele Vance',
    });
    expect(identity.groups.sort()).toEqual([entra.groupId('All Staff'), entra.groupId('Helpdesk-Agents')].sort());
    expect(entra.counters().graphRequests).toBe(0);
  });

  it('gives a user with 250 groups all 250 through Graph, and makes no Graph call on the next login (cached)', async () => {
    const results: string[] = [];
    const connector = connectorWith(entraConfig(), memoryGroupCache(results));
    entra.resetCounters();

    const first = identityOf(await connector.login(attempt('megan@contoso.example'), deadline()));
    expect(first.claims['groups']).toBeUndefined();
    expect(first.claims['_claim_names']).toEqual({ groups: 'src1' });
    const expected = range(250, (i) => entra.groupId(`Project-${String(i).padStart(3, '0')}`));
    expect(first.groups).toHaveLength(250);
    // Directory roles are in transitiveMemberOf too, and are not groups.
    expect(new Set(first.groups)).toEqual(new Set(expected));
    expect(entra.counters()).toMatchObject({ graphLookups: 1, graphRequests: 1 });

    const second = identityOf(await connector.login(attempt('megan@contoso.example'), deadline()));
    expect(new Set(second.groups)).toEqual(new Set(expected));
    expect(entra.counters()).toMatchObject({ tokenRequests: 2, graphLookups: 1, graphRequests: 1 });
    expect(results).toEqual(['miss', 'hit']);
  });

  it('follows @odata.nextLink through every page (2,100 groups = 3 pages of 999)', async () => {
    const connector = connectorWith(entraConfig(), memoryGroupCache());
    entra.resetCounters();
    const identity = identityOf(await connector.login(attempt('lynne@contoso.example'), deadline()));
    expect(new Set(identity.groups).size).toBe(2_100);
    expect(identity.groups).toContain(entra.groupId('Team-2100'));
    expect(entra.counters()).toMatchObject({ graphLookups: 1, graphRequests: 3 });
  });

  it('names groups by displayName when configured, asking Graph even without overage (then caching)', async () => {
    const config = entraConfig({
      scopes: ['openid', 'profile', 'email', 'User.Read', 'GroupMember.Read.All'],
      groups: { source: 'graph', graph: { baseUrl: entra.graphBaseUrl, groupNames: 'displayName' } },
    });
    const connector = connectorWith(config, memoryGroupCache());
    entra.resetCounters();
    expect(identityOf(await connector.login(attempt('adele@contoso.example'), deadline())).groups.sort()).toEqual(['All Staff', 'Helpdesk-Agents']);
    expect(identityOf(await connector.login(attempt('adele@contoso.example'), deadline())).groups.sort()).toEqual(['All Staff', 'Helpdesk-Agents']);
    expect(entra.counters().graphLookups).toBe(1);
  });

  it('refuses (unavailable) a 250-group user when Graph fails — never a login with zero groups', async () => {
    const connector = connectorWith(entraConfig(), memoryGroupCache());
    entra.failGraph(503, 'serviceNotAvailable');
    const outcome = await connector.login(attempt('megan@contoso.example'), deadline());
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind === 'unavailable') expect(outcome.cause.message).toMatch(/Microsoft Graph.*HTTP 503 serviceNotAvailable/);
    // The failure was not cached: Graph back, the next login works.
    expect(identityOf(await connector.login(attempt('megan@contoso.example'), deadline())).groups).toHaveLength(250);
  });

  it('refuses a user whose groups fail half way through the pages, rather than log in with the first page', async () => {
    const connector = connectorWith(entraConfig(), memoryGroupCache());
    entra.resetCounters();
    entra.failGraph(429, 'TooManyRequests', { afterRequests: 1 });
    const outcome = await connector.login(attempt('lynne@contoso.example'), deadline());
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind === 'unavailable') expect(outcome.cause.message).toMatch(/HTTP 429 TooManyRequests/);
    expect(entra.counters().graphRequests).toBe(2);
  });

  it('refuses an overage login on a connector that reads groups from the token only', async () => {
    const connector = connectorWith(oidcConnectorSchema.parse({ ...entraConfig(), groups: { source: 'token' } }));
    const outcome = await connector.login(attempt('megan@contoso.example'), deadline());
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind === 'unavailable') expect(outcome.cause.message).toMatch(/overage.*groups\.source: graph/);
  });

  it('does not link an account on an email whose domain the tenant has not verified (nOAuth)', async () => {
    const connector = connectorWith(entraConfig(), memoryGroupCache());
    const identity = identityOf(await connector.login(attempt('mallory@contoso.example'), deadline()));
    expect(identity.claims['email']).toBe('ceo@contoso.example');
    expect(identity.emails).toEqual([]);
  });

  it('refuses, at config time, a Graph lookup the login token could not make', () => {
    const base = { ...entraConfig(), groups: { source: 'graph', graph: { baseUrl: entra.graphBaseUrl, groupNames: 'displayName' } } };
    expect(() => oidcConnectorSchema.parse({ ...base, scopes: ['openid', 'User.Read'] })).toThrow(/GroupMember\.Read\.All/);
    expect(() => oidcConnectorSchema.parse({ ...base, scopes: ['openid'] })).toThrow(/Graph scope/);
    expect(() => oidcConnectorSchema.parse({ ...base, scopes: ['openid', 'GroupMember.Read.All', 'api://kayako/x'] })).toThrow(/other resources/);
  });
});

describe('Entra ID: AADSTS answers', () => {
  let connector: PasswordConnector;
  beforeAll(() => {
    connector = connectorWith(entraConfig(), memoryGroupCache());
  });

  it.each([
    ['a wrong password (50126)', 'adele@contoso.example', 'not-her-password', 'invalid_credentials'],
    ['an unknown user (50034)', 'nobody@contoso.example', 'whatever', 'invalid_credentials'],
    ['a disabled account (50057)', 'dave@contoso.example', 'Dave-pw-1', 'disabled'],
    ['a smart-lockout (50053)', 'lucy@contoso.example', 'Lucy-pw-1', 'locked'],
    ['an expired password (50055)', 'paula@contoso.example', 'Paula-pw-1', 'password_expired'],
    ['MFA required (50076)', 'miriam@contoso.example', 'Miriam-pw-1', 'mfa_required'],
    ['a Conditional Access block (53003)', 'carl@contoso.example', 'Carl-pw-1', 'mfa_required'],
  ])('maps %s', async (_name, username, pw, expected) => {
    expect((await connector.login(attempt(username, pw), deadline())).kind).toBe(expected);
  });

  it('tells the operator to use the secret value on AADSTS7000215', async () => {
    const wrongSecret = connectorWith(entraConfig({ clientSecret: 'the-secret-id-not-its-value' }));
    const outcome = await wrongSecret.login(attempt('adele@contoso.example'), deadline());
    expect(outcome.kind).toBe('misconfigured');
    if (outcome.kind === 'misconfigured') expect(outcome.cause.message).toMatch(/\[7000215\].*secret VALUE/);
  });

  it('tells the operator not to use /common (AADSTS9001023)', async () => {
    const common = `${entra.loginOrigin}/common`;
    const viaCommon = connectorWith(
      entraConfig({ endpoints: { token: `${common}/oauth2/v2.0/token`, jwks: `${common}/discovery/v2.0/keys` } }),
    );
    const outcome = await viaCommon.login(attempt('adele@contoso.example'), deadline());
    expect(outcome.kind).toBe('misconfigured');
    if (outcome.kind === 'misconfigured') expect(outcome.cause.message).toMatch(/\[9001023\].*tenant id or organizations/);
  });

  it('tells the operator a public client must not send a secret (AADSTS700025)', async () => {
    const publicTenant = await startFakeEntra({ users: USERS.slice(0, 1) });
    try {
      const publicApp = {
        ...presetConnector('entra-id', { issuer: publicTenant.issuer, clientId: publicTenant.clientId, allowInsecureHttp: true }),
        groups: { source: 'token' },
      };
      const withSecret = connectorWith(oidcConnectorSchema.parse(publicApp));
      const outcome = await withSecret.login(attempt('adele@contoso.example'), deadline());
      expect(outcome.kind).toBe('misconfigured');
      if (outcome.kind === 'misconfigured') expect(outcome.cause.message).toMatch(/\[700025\]/);

      const { clientSecret: _dropped, ...publicConfig } = publicApp;
      const withoutSecret = connectorWith(oidcConnectorSchema.parse(publicConfig));
      expect((await withoutSecret.login(attempt('adele@contoso.example'), deadline())).kind).toBe('ok');
    } finally {
      await publicTenant.stop();
    }
  });
});

describe('Entra ID through the whole bridge', () => {
  it('answers Kayako with the profile a 250-group user’s Graph groups select, cached, counted in metrics', async () => {
    const preset = entraConfig();
    const adminsGroup = entra.groupId('Project-250');
    const t = await startTestBridge({
      env: { ENTRA_CLIENT_SECRET: entra.clientSecret!, KAYAKO_SECRET: 'kayako-caller-secret-entra' },
      config: `
cache: { groupsTtlSeconds: 120 }
connectors:
  - ${JSON.stringify({ ...preset, clientSecret: '${ENTRA_CLIENT_SECRET}' })}
realms:
  - id: main
    secret: \${KAYAKO_SECRET}
    rules: rules.yaml
    connectors: [{ use: contoso-entra }]
`,
      rules: `
defaults:
  user: { usergroup: Registered }
rules:
  - name: project-250
    audience: user
    when: { groups: { any: ["${adminsGroup}"] } }
    set: { usergroup: Project Leads }
`,
    });
    try {
      entra.resetCounters();
      const login = () => t.post('/loginshare/main/user?key=kayako-caller-secret-entra', { username: 'megan@contoso.example', password: 'Megan-pw-1', ipaddress: '203.0.113.9' });
      for (let i = 0; i < 2; i++) {
        expect(readLoginShareAnswer(await login(), 'user')).toMatchObject({ accepted: true, user: { usergroup: 'Project Leads', emails: ['megan@contoso.example'] } });
      }
      expect(entra.counters()).toMatchObject({ tokenRequests: 2, graphLookups: 1 });
      const metrics = await (await fetch(`${t.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/loginshare_group_cache_total\{result="miss"\} 1\b/);
      expect(metrics).toMatch(/loginshare_group_cache_total\{result="hit"\} 1\b/);
      // Neither the password nor any token reaches a log line.
      expect(t.rawLog()).not.toContain('Megan-pw-1');
      expect(t.rawLog()).not.toMatch(/eyJ[\w-]{10,}\./);
    } finally {
      await t.stop();
    }
  });
});

describeWithServer('redis', 'Entra ID groups cached in a real Redis', (redis) => {
  const keyPrefix = `lsb-test-entra-${randomBytes(4).toString('hex')}:`;
  const inspect = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  afterAll(async () => {
    const keys = await inspect.keys(`${keyPrefix}*`);
    if (keys.length > 0) await inspect.del(...keys);
    inspect.disconnect();
  });

  async function replica(url: string, onDegraded?: () => void) {
    const cache = await createCache({ redis: { url, keyPrefix, connectTimeoutMs: 1_000, commandTimeoutMs: 500 } }, onDegraded ? { onDegraded } : {});
    const results: string[] = [];
    const connector = connectorWith(entraConfig(), { cache, ttlSeconds: 120, onResult: (r) => results.push(r) });
    return { cache, connector, results };
  }

  it('shares the Graph answer between replicas: the second replica makes no Graph call', async () => {
    const a = await replica(redis.url);
    const b = await replica(redis.url);
    try {
      entra.resetCounters();
      expect(identityOf(await a.connector.login(attempt('megan@contoso.example'), deadline())).groups).toHaveLength(250);
      expect(identityOf(await b.connector.login(attempt('megan@contoso.example'), deadline())).groups).toHaveLength(250);
      expect(entra.counters().graphLookups).toBe(1);
      expect(a.results).toEqual(['miss']);
      expect(b.results).toEqual(['hit']);

      const subject = identityOf(await b.connector.login(attempt('megan@contoso.example'), deadline())).subject;
      const key = `${keyPrefix}${groupCacheKey('main', 'contoso-entra', subject)}`;
      const ttl = await inspect.pttl(key);
      expect(ttl).toBeGreaterThan(100_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
      const stored = (await inspect.get(key)) ?? '';
      expect(JSON.parse(stored)).toHaveLength(250);
      // Only the groups: no token of the login is in the cache.
      expect(stored).not.toMatch(/eyJ/);
    } finally {
      await Promise.all([a.cache.close(), b.cache.close()]);
    }
  });

  it('keeps logging in when its Redis dies mid-run (slower, per replica), and says so', async () => {
    const own = await startRedis();
    const url = own.url;
    const before = await replica(url);
    let degraded = 0;
    const after = await replica(url, () => degraded++);
    try {
      entra.resetCounters();
      expect(identityOf(await before.connector.login(attempt('megan@contoso.example'), deadline())).groups).toHaveLength(250);
      expect(entra.counters().graphLookups).toBe(1);
      await own.stop();
      // A replica whose Redis is gone: the shared answer is out of reach, so it asks Graph, and logs in.
      expect(identityOf(await after.connector.login(attempt('megan@contoso.example'), deadline())).groups).toHaveLength(250);
      expect(entra.counters().graphLookups).toBe(2);
      expect(degraded).toBeGreaterThan(0);
      // …and caches in its own memory meanwhile.
      expect(identityOf(await after.connector.login(attempt('megan@contoso.example'), deadline())).groups).toHaveLength(250);
      expect(entra.counters().graphLookups).toBe(2);
    } finally {
      await Promise.all([before.cache.close(), after.cache.close()]);
      await own.stop().catch(() => undefined);
    }
  });
});
