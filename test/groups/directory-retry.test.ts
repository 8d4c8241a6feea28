import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../src/login/deadline.js';
import type { LoginAttempt, LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { oidcConnectorSchema, type OidcConnectorConfig } from '../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../src/connectors/oidc/oidc-connector.js';
import { retryAfterMs } from '../../src/groups/http-json.js';
import { oktaRetryAfterMs } from '../../src/groups/okta-group-resolver.js';
import { startFakeEntra, type FakeEntra } from '../support/fake-entra.js';
import { startFakeOkta, type FakeOkta } from '../support/fake-okta.js';
import { presetConnector } from '../support/presets.js';

/**
 * Microsoft Graph and the Okta groups API, throttled (429) or briefly unavailable (503) with a time to come back:
 * one retry after that wait when it fits in the login's deadline, none otherwise. Against the faithful fakes of
 * Entra ID and Okta (test/support/fake-entra.ts and fake-okta.ts cite the documented throttling answers).
 */
const range = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i + 1));
const attempt = (username: string, password: string): LoginAttempt => ({ username, password, endUserIp: '203.0.113.7', audience: 'user', realmId: 'main' });
const LOGIN_DEADLINE_MS = 6_000;

let entra: FakeEntra;
let okta: FakeOkta;
const connectors: PasswordConnector[] = [];
const connectorWith = (config: OidcConnectorConfig) => {
  const connector = createOidcConnector(config);
  connectors.push(connector);
  return connector;
};

beforeAll(async () => {
  entra = await startFakeEntra({
    clientSecret: 'entra-client-secret-value',
    optionalClaims: ['email', 'xms_edov'],
    // 250 groups: the token carries the overage claim, so every login asks Graph.
    users: [{ upn: 'megan@contoso.example', password: 'Megan-pw-1', displayName: 'Megan Bowen', mail: 'megan@contoso.example', mailDomainVerified: true, groups: range(250, (i) => `Project-${i}`) }],
  });
  okta = await startFakeOkta({
    // 150 groups: over the groups claim's cut at 100, so every login asks the groups API.
    users: [{ login: 'bob@acme.example', password: 'Bob-pw-1', firstName: 'Bob', lastName: 'Baker', email: 'bob@acme.example', groups: range(150, (i) => `Team-${i}`) }],
  });
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close?.()));
  await entra?.stop();
  await okta?.stop();
});

async function timedLogin(connector: PasswordConnector, login: LoginAttempt): Promise<{ outcome: LoginOutcome; ms: number }> {
  const started = performance.now();
  const deadline = deadlineIn(LOGIN_DEADLINE_MS);
  try {
    return { outcome: await connector.login(login, deadline), ms: performance.now() - started };
  } finally {
    deadline.dispose();
  }
}

describe('Microsoft Graph throttling', () => {
  const graphConnector = () =>
    connectorWith(
      presetConnector(
        'entra-id',
        { issuer: entra.issuer, clientId: entra.clientId, allowInsecureHttp: true, timeoutMs: 3_000, groups: { source: 'graph', graph: { baseUrl: entra.graphBaseUrl } } },
        { ENTRA_CLIENT_SECRET: entra.clientSecret! },
      ),
    );
  const megan = attempt('megan@contoso.example', 'Megan-pw-1');

  it.each([
    [429, 'TooManyRequests'],
    [503, 'serviceNotAvailable'],
  ])('%i with Retry-After: 1 — retried once after the wait, and the login succeeds', async (status, code) => {
    const connector = graphConnector();
    entra.resetCounters();
    entra.failGraph(status, code, { retryAfterSeconds: 1 });
    const { outcome, ms } = await timedLogin(connector, megan);
    expect(outcome.kind).toBe('ok');
    if (outcome.kind === 'ok') expect(outcome.identity.groups).toHaveLength(250);
    expect(entra.counters().graphRequests).toBe(2);
    expect(ms).toBeGreaterThanOrEqual(950);
  });

  it('throttled again: only one retry, then the login is refused as unavailable (never with no groups)', async () => {
    const connector = graphConnector();
    entra.resetCounters();
    entra.failGraph(429, 'TooManyRequests', { times: 2, retryAfterSeconds: 1 });
    const { outcome } = await timedLogin(connector, megan);
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind === 'unavailable') expect(outcome.cause.message).toMatch(/HTTP 429 TooManyRequests/);
    expect(entra.counters().graphRequests).toBe(2);
  });

  it('a Retry-After longer than the login has left: no wait, refused at once', async () => {
    const connector = graphConnector();
    entra.resetCounters();
    entra.failGraph(429, 'TooManyRequests', { retryAfterSeconds: 30 });
    const { outcome, ms } = await timedLogin(connector, megan);
    expect(outcome.kind).toBe('unavailable');
    expect(entra.counters().graphRequests).toBe(1);
    expect(ms).toBeLessThan(LOGIN_DEADLINE_MS / 2);
  });

  it('without Retry-After: not retried', async () => {
    const connector = graphConnector();
    entra.resetCounters();
    entra.failGraph(503, 'serviceNotAvailable');
    expect((await timedLogin(connector, megan)).outcome.kind).toBe('unavailable');
    expect(entra.counters().graphRequests).toBe(1);
  });
});

describe('Okta groups API rate limit', () => {
  const oktaConnector = () => {
    const preset = presetConnector('okta', { issuer: okta.issuer, clientId: okta.clientId, allowInsecureHttp: true, timeoutMs: 3_000 }, { OKTA_CLIENT_SECRET: okta.clientSecret });
    const okGroups = preset.groups.source === 'okta' ? preset.groups.okta : {};
    return connectorWith(oidcConnectorSchema.parse({ ...preset, groups: { source: 'okta', okta: { ...okGroups, auth: { type: 'ssws', token: okta.apiToken } } } }));
  };
  const bob = attempt('bob@acme.example', 'Bob-pw-1');

  it('429 with X-Rate-Limit-Reset a second away: retried once when the window resets, and the login succeeds', async () => {
    const connector = oktaConnector();
    okta.resetCounters();
    okta.failGroups(429, { resetInSeconds: 1 });
    const { outcome } = await timedLogin(connector, bob);
    expect(outcome.kind).toBe('ok');
    if (outcome.kind === 'ok') expect(outcome.identity.groups).toEqual(expect.arrayContaining(['Everyone', 'Team-1', 'Team-150']));
    expect(okta.counters().groupsApiRequests).toBe(2);
  });

  it('503 with Retry-After: retried once', async () => {
    const connector = oktaConnector();
    okta.resetCounters();
    okta.failGroups(503, { retryAfterSeconds: 1 });
    expect((await timedLogin(connector, bob)).outcome.kind).toBe('ok');
    expect(okta.counters().groupsApiRequests).toBe(2);
  });

  it('a rate-limit window that resets after the login deadline: refused at once, not retried', async () => {
    const connector = oktaConnector();
    okta.resetCounters();
    okta.failGroups(429, { resetInSeconds: 60 });
    const { outcome, ms } = await timedLogin(connector, bob);
    expect(outcome.kind).toBe('unavailable');
    expect(okta.counters().groupsApiRequests).toBe(1);
    expect(ms).toBeLessThan(LOGIN_DEADLINE_MS / 2);
  });
});

describe('reading when to come back', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('Retry-After in seconds or as an HTTP-date (RFC 9110)', () => {
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3_000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5_000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
  it('Okta: Retry-After first, else the reset of a 429 in epoch seconds', () => {
    expect(oktaRetryAfterMs({ status: 429, headers: { 'x-rate-limit-reset': String(now / 1000 + 2) }, body: undefined }, now)).toBe(2_000);
    expect(oktaRetryAfterMs({ status: 503, headers: { 'retry-after': '1', 'x-rate-limit-reset': String(now / 1000 + 9) }, body: undefined }, now)).toBe(1_000);
    expect(oktaRetryAfterMs({ status: 503, headers: { 'x-rate-limit-reset': String(now / 1000 + 9) }, body: undefined }, now)).toBeUndefined();
  });
});
