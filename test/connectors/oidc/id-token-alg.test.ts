import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../src/login/deadline.js';
import { oidcConnectorSchema } from '../../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../../src/connectors/oidc/oidc-connector.js';
import { startMockOidcIdp, type MockOidcIdp } from '../../support/mock-oidc-idp.js';

/**
 * The ID token is accepted only when signed with the one algorithm the connector names (`idTokenAlg`): a key the
 * IdP publishes for something else, or a downgrade to another algorithm, does not make a token proof of a login.
 * The mock IdP signs with RS256.
 */
let idp: MockOidcIdp;
beforeAll(async () => {
  idp = await startMockOidcIdp({ users: { alice: { password: 'pw', claims: { sub: 'u-alice', email: 'alice@corp.example', email_verified: true } } } });
});
afterAll(async () => {
  await idp?.stop();
});

const login = async (idTokenAlg: string) => {
  const connector = createOidcConnector(
    oidcConnectorSchema.parse({ id: 'corp', type: 'oidc', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, allowInsecureHttp: true, idTokenAlg }),
  );
  try {
    return await connector.login({ username: 'alice', password: 'pw', endUserIp: '', audience: 'user', realmId: 'r' }, deadlineIn(5_000));
  } finally {
    await connector.close?.();
  }
};

describe('idTokenAlg', () => {
  it('an RS256 token logs in where RS256 is configured', async () => {
    expect((await login('RS256')).kind).toBe('ok');
  });

  it('the same token is refused where ES256 is configured', async () => {
    const outcome = await login('ES256');
    expect(outcome.kind).not.toBe('ok');
  });
});
