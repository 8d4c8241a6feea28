import { deadlineIn } from '../../../src/login/deadline.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoginAttempt, LoginOutcome } from '../../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../../src/login/password-connector.js';
import { oidcConnectorSchema } from '../../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../../src/connectors/oidc/oidc-connector.js';
import { json, startLoopbackIdp, type LoopbackIdp } from './loopback-idp.js';

/**
 * Discovery (OpenID Connect Discovery 1.0 §4) against a loopback IdP: the document is read once, its issuer
 * must be the configured one, and a failed read is not remembered.
 */
let idp: LoopbackIdp;
const connectors: PasswordConnector[] = [];
const deadline = () => deadlineIn(5_000);
const attempt: LoginAttempt = { username: 'una@example.com', password: 'pw', endUserIp: '', audience: 'user', realmId: 'test' };
const codeOf = (outcome: LoginOutcome) => ('cause' in outcome ? (outcome.cause as { code?: string }).code : undefined);

function connectorWith(extra: Record<string, unknown> = {}): PasswordConnector {
  const connector = createOidcConnector(
    oidcConnectorSchema.parse({ id: 'corp', type: 'oidc', issuer: idp.issuer, clientId: idp.clientId, clientSecret: 's', allowInsecureHttp: true, timeoutMs: 2_000, ...extra }),
  );
  connectors.push(connector);
  return connector;
}

beforeAll(async () => {
  idp = await startLoopbackIdp();
});
afterEach(() => idp.discoveryAnswer(undefined));
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close?.()));
  await idp?.stop();
});

describe('discovery', () => {
  it('reads the document once and logs in through the endpoints it names', async () => {
    const connector = connectorWith();
    const before = idp.discoveryRequests();
    for (let i = 0; i < 3; i++) expect((await connector.login(attempt, deadline())).kind).toBe('ok');
    expect(idp.discoveryRequests() - before).toBe(1);
  });

  it('refuses a document that names another issuer (a misconfiguration, never a login)', async () => {
    idp.discoveryAnswer(() => json(200, { issuer: 'https://evil.example', token_endpoint: `${idp.issuer}/token`, jwks_uri: `${idp.issuer}/jwks` }));
    const outcome = await connectorWith().login(attempt, deadline());
    expect(outcome.kind).toBe('misconfigured');
    expect(codeOf(outcome)).toBe('ERR_OIDC_DISCOVERY_ISSUER');
    expect('cause' in outcome && outcome.cause.message).toMatch(/another issuer: "https:\/\/evil\.example"/);
  });

  it('names the field a document lacks', async () => {
    idp.discoveryAnswer(() => json(200, { issuer: idp.issuer, token_endpoint: `${idp.issuer}/token` }));
    const outcome = await connectorWith().login(attempt, deadline());
    expect(outcome.kind).toBe('misconfigured');
    expect('cause' in outcome && outcome.cause.message).toMatch(/has no jwks_uri/);
  });

  it('treats a failed read as the IdP being unavailable, and tries again on the next login', async () => {
    const connector = connectorWith();
    idp.discoveryAnswer(() => ({ status: 503, body: 'maintenance' }));
    const before = idp.discoveryRequests();
    const outcome = await connector.login(attempt, deadline());
    expect(outcome.kind).toBe('unavailable');
    expect('cause' in outcome && outcome.cause.message).toMatch(/HTTP 503/);
    idp.discoveryAnswer(undefined);
    expect((await connector.login(attempt, deadline())).kind).toBe('ok');
    expect(idp.discoveryRequests() - before).toBe(2);
  });
});
