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
    expect(oidcConnectorSchema.safeParse({ ...base, ...extra, issuer: 'http://idp.example', allowInsecureHttp: true }).success).toBe(true);
  });
});

describe('an http:// token endpoint under an https:// issuer', () => {
  it('never receives the password', async () => {
    const config = oidcConnectorSchema.parse({
      ...base,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      endpoints: { token: `${idp.issuer}/token`, jwks: `${idp.issuer}/jwks` },
    });
    const connector = createOidcConnector(config);
    try {
      const before = idp.tokenRequests();
      const outcome = await connector.login({ username: 'alice', password: 'pw', endUserIp: '', audience: 'user', realmId: 'r' }, deadlineIn(5_000));
      expect(outcome.kind).not.toBe('ok');
      if (outcome.kind === 'unavailable' || outcome.kind === 'misconfigured') expect(outcome.cause.message).toMatch(/HTTPS/);
      expect(idp.tokenRequests()).toBe(before);
    } finally {
      await connector.close?.();
    }
  });
});
