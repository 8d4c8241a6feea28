import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../src/login/deadline.js';
import { oidcConnectorSchema } from '../../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../../src/connectors/oidc/oidc-connector.js';
import { startMockOidcIdp, type MockOidcIdp } from '../../support/mock-oidc-idp.js';

/**
 * Plain http:// carries passwords and bearer tokens in the clear: it is refused unless `allowInsecureHttp` (for
 * loopback tests) says otherwise — in the config for the URLs it names, and at run time for endpoints that only
 * the IdP names.
 */
let idp: MockOidcIdp;
beforeAll(async () => {
  idp = await startMockOidcIdp({ users: { alice: { password: 'pw', claims: { sub: 'u-alice', email: 'alice@corp.example', email_verified: true } } } });
});
afterAll(async () => {
  await idp?.stop();
});

const base = { id: 'corp', type: 'oidc', issuer: 'https://idp.example', clientId: 'c', clientSecret: 's' };

describe('http:// directory APIs', () => {
  it.each([
    ['Graph baseUrl', { scopes: ['openid', 'email', 'http://graph.example/User.Read'], groups: { source: 'graph', graph: { baseUrl: 'http://graph.example/v1.0' } } }, 'groups.graph.baseUrl'],
    ['Okta orgUrl', { groups: { source: 'okta', okta: { orgUrl: 'http://acme.okta.example', auth: { type: 'ssws', token: 't' } } } }, 'groups.okta.orgUrl'],
  ])('%s is refused without allowInsecureHttp, naming the key', (_label, extra, path) => {
    const result = oidcConnectorSchema.safeParse({ ...base, ...extra });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: path.split('.'), message: expect.stringMatching(/https/) })]));
    }
    expect(oidcConnectorSchema.safeParse({ ...base, ...extra, issuer: 'http://idp.example', allowInsecureHttp: true, insecureHttpHosts: ['idp.example', 'graph.example', 'acme.okta.example'] }).success).toBe(true);
  });
});

describe('an http:// token endpoint under an https:// issuer', () => {
  const draft = () => ({ ...base, clientId: idp.clientId, clientSecret: idp.clientSecret, endpoints: { token: `${idp.issuer}/token`, jwks: `${idp.issuer}/jwks` } });

  it('is refused by the config, naming the key', () => {
    const result = oidcConnectorSchema.safeParse(draft());
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: ['endpoints', 'token'], message: expect.stringMatching(/plain http/) })]));
    }
  });

  it('never receives the password, even when a config got past validation', async () => {
    // The run-time check stands behind the schema's (endpoints found by discovery never pass through the schema).
    const valid = oidcConnectorSchema.parse({ ...draft(), endpoints: { token: 'https://idp.example/token', jwks: 'https://idp.example/jwks' } });
    const connector = createOidcConnector({ ...valid, endpoints: draft().endpoints });
    try {
      const before = idp.tokenRequests();
      const outcome = await connector.login({ username: 'alice', password: 'pw', endUserIp: '', audience: 'user', realmId: 'r' }, deadlineIn(5_000));
      expect(outcome.kind).not.toBe('ok');
      if (outcome.kind === 'unavailable' || outcome.kind === 'misconfigured') expect(outcome.cause.message).toMatch(/plain http/);
      expect(idp.tokenRequests()).toBe(before);
    } finally {
      await connector.close?.();
    }
  });
});
