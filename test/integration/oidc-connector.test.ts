import { deadlineIn } from '../../src/login/deadline.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2Server } from 'oauth2-mock-server';
import type { LoginAttempt } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { oidcConnectorSchema } from '../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../src/connectors/oidc/oidc-connector.js';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';

/**
 * The OIDC password-grant connector against a real OIDC server on loopback (oauth2-mock-server), with
 * its hooks standing in for what the mock cannot do by itself (checking passwords, error bodies).
 */
let idp: MockOidcIdp;
let connector: PasswordConnector;

const attempt = (username: string, password: string, over: Partial<LoginAttempt> = {}): LoginAttempt => ({
  username,
  password,
  endUserIp: '203.0.113.9',
  audience: 'user',
  realmId: 'test',
  ...over,
});
const deadline = () => deadlineIn(5_000);

function connectorFor(extra: Record<string, unknown> = {}): PasswordConnector {
  return createOidcConnector(
    oidcConnectorSchema.parse({
      id: 'corp',
      type: 'oidc',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      allowInsecureHttp: true,
      timeoutMs: 2_000,
      ...extra,
    }),
  );
}

beforeAll(async () => {
  idp = await startMockOidcIdp({
    users: {
      'alice@corp.example': {
        password: 'right password',
        claims: {
          sub: 'u-alice',
          preferred_username: 'alice@corp.example',
          email: 'Alice@Corp.Example',
          email_verified: true,
          given_name: 'Alice',
          family_name: 'Archer',
          name: 'Alice Archer',
          groups: ['Helpdesk-Agents', 'Enterprise'],
          realm_access: { roles: ['kayako-user'] },
          jobTitle: 'Engineer',
        },
      },
      'unverified@corp.example': {
        password: 'pw',
        claims: { sub: 'u-unv', email: 'ceo@corp.example', email_verified: false, name: 'Mallory' },
      },
    },
  });
  connector = connectorFor({ claims: { groups: ['groups', 'realm_access.roles'] } });
});
afterAll(async () => {
  await connector?.close?.();
  await idp?.stop();
});

describe('OIDC password grant', () => {
  it('logs in with the right password and maps claims, emails and groups', async () => {
    const outcome = await connector.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    expect(outcome.identity).toMatchObject({
      subject: 'u-alice',
      username: 'alice@corp.example',
      emails: ['Alice@Corp.Example'],
      givenName: 'Alice',
      familyName: 'Archer',
      displayName: 'Alice Archer',
      groups: ['Helpdesk-Agents', 'Enterprise', 'kayako-user'],
      connectorId: 'corp',
    });
    expect(outcome.identity.claims['jobTitle']).toBe('Engineer');
  });

  it('answers invalid_credentials for a wrong password', async () => {
    expect(await connector.login(attempt('alice@corp.example', 'wrong'), deadline())).toEqual({ kind: 'invalid_credentials' });
  });

  it('does not trust an unverified email (never link Kayako accounts on it)', async () => {
    const outcome = await connector.login(attempt('unverified@corp.example', 'pw'), deadline());
    expect(outcome.kind === 'ok' && outcome.identity.emails).toEqual([]);
  });

  it.each([
    [{ error: 'mfa_required', error_description: 'Multifactor authentication required' }, 403, 'mfa_required'],
    [{ error: 'interaction_required' }, 400, 'mfa_required'],
    [{ error: 'invalid_client', error_description: 'Client authentication failed' }, 401, 'misconfigured'],
    [{ error: 'unauthorized_client' }, 400, 'misconfigured'],
    [{ error: 'temporarily_unavailable' }, 503, 'unavailable'],
  ])('maps IdP error %j to %s', async (body, status, kind) => {
    idp.failNextWith(status, body);
    const outcome = await connector.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(outcome.kind).toBe(kind);
  });

  it('never puts the password into an operator error', async () => {
    idp.failNextWith(400, { error: 'invalid_request', error_description: 'bad request' });
    const outcome = await connector.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(outcome.kind).toBe('misconfigured');
    if (outcome.kind === 'misconfigured') {
      expect(outcome.cause.message).not.toContain('right password');
      expect(JSON.stringify(outcome)).not.toContain('right password');
    }
  });

  it('refuses an expired ID token', async () => {
    idp.tamperNextIdToken((p) => {
      p['exp'] = Math.floor(Date.now() / 1000) - 3600;
      p['iat'] = Math.floor(Date.now() / 1000) - 7200;
    });
    expect((await connector.login(attempt('alice@corp.example', 'right password'), deadline())).kind).toBe('misconfigured');
  });

  it('refuses an ID token for another audience', async () => {
    idp.tamperNextIdToken((p) => {
      p['aud'] = 'some-other-client';
    });
    expect((await connector.login(attempt('alice@corp.example', 'right password'), deadline())).kind).toBe('misconfigured');
  });

  it('refuses an ID token from another issuer', async () => {
    idp.tamperNextIdToken((p) => {
      p['iss'] = 'https://evil.example';
    });
    expect((await connector.login(attempt('alice@corp.example', 'right password'), deadline())).kind).toBe('misconfigured');
  });

  it('refuses a forged ID token: right claims, signed by a key the IdP never published', async () => {
    const forger = new OAuth2Server();
    await forger.issuer.keys.generate('RS256');
    forger.issuer.url = idp.issuer;
    const forged = await forger.issuer.buildToken({
      scopesOrTransform: (header, payload) => {
        header.kid = (idp.server.issuer.keys.toJSON()[0] as { kid: string }).kid; // claim to be the IdP's key
        Object.assign(payload, { iss: idp.issuer, aud: idp.clientId, sub: 'u-alice', email: 'alice@corp.example', email_verified: true });
      },
    });
    idp.replaceNextIdToken(forged);
    const outcome = await connector.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(outcome.kind === 'misconfigured' && outcome.cause.message).toMatch(/signature/i);
    expect(outcome.kind).toBe('misconfigured');
  });

  it('forwards the end user address when configured (Auth0 auth0-forwarded-for)', async () => {
    const forwarding = connectorFor({ forwardEndUserIpHeader: 'auth0-forwarded-for' });
    await forwarding.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(idp.lastTokenRequestHeaders()['auth0-forwarded-for']).toBe('203.0.113.9');
    await forwarding.close?.();
  });
});

describe('client authentication and request options', () => {
  it('client_secret_post sends the secret in the form, not in Authorization', async () => {
    const post = connectorFor({ clientAuth: 'client_secret_post' });
    expect((await post.login(attempt('alice@corp.example', 'right password'), deadline())).kind).toBe('ok');
    expect(idp.lastTokenRequestFields()).toMatchObject({ client_id: idp.clientId, client_secret: idp.clientSecret, grant_type: 'password' });
    expect(idp.lastTokenRequestHeaders()['authorization']).toBeUndefined();
    await post.close?.();
  });

  it('client_secret_basic (the default) sends HTTP Basic', async () => {
    await connector.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(idp.lastTokenRequestHeaders()['authorization']).toMatch(/^Basic /);
    expect(idp.lastTokenRequestFields()['client_secret']).toBeUndefined();
  });

  it('private_key_jwt sends a signed client assertion and no secret', async () => {
    const { generateKeyPair, exportPKCS8, decodeJwt } = await import('jose');
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pkjwt = connectorFor({ clientAuth: 'private_key_jwt', clientSecret: undefined, privateKey: await exportPKCS8(privateKey), privateKeyId: 'k1' });
    await pkjwt.login(attempt('alice@corp.example', 'right password'), deadline());
    const fields = idp.lastTokenRequestFields();
    expect(fields['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(decodeJwt(String(fields['client_assertion']))).toMatchObject({ iss: idp.clientId, sub: idp.clientId });
    expect(fields['client_secret']).toBeUndefined();
    await pkjwt.close?.();
  });

  it('sends the configured scopes, grant type and extra token parameters (Auth0 password-realm)', async () => {
    const auth0 = connectorFor({ scopes: ['openid', 'email'], tokenParams: { realm: 'Username-Password-Authentication', audience: 'https://api' } });
    await auth0.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(idp.lastTokenRequestFields()).toMatchObject({ scope: 'openid email', realm: 'Username-Password-Authentication', audience: 'https://api', username: 'alice@corp.example' });
    await auth0.close?.();
  });

  it('merges userinfo claims when configured', async () => {
    idp.server.service.once('beforeUserinfo', (response) => {
      response.body = { sub: 'u-alice', phone_number: '+1 555 0199', department: 'Support' };
    });
    const withUserinfo = connectorFor({ userinfo: true });
    const outcome = await withUserinfo.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(outcome).toMatchObject({ kind: 'ok', identity: { phone: '+1 555 0199', claims: { department: 'Support' } } });
    await withUserinfo.close?.();
  });
});

describe('IdP down or slow', () => {
  let slow: Server;
  let slowUrl: string;
  beforeAll(async () => {
    // Accepts the connection and answers nothing for 10 s.
    slow = createServer((_req, res) => {
      setTimeout(() => res.end('{}'), 10_000).unref();
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  });

  it('answers unavailable when nothing listens at the issuer', async () => {
    const down = createOidcConnector(
      oidcConnectorSchema.parse({ id: 'down', type: 'oidc', issuer: 'http://127.0.0.1:9/', clientId: 'x', clientSecret: 'y', allowInsecureHttp: true }),
    );
    const outcome = await down.login(attempt('a', 'b'), deadline());
    expect(outcome.kind).toBe('unavailable');
    await down.close?.();
  });

  it('gives up on a token endpoint slower than the timeout', async () => {
    const slowConnector = connectorFor({
      endpoints: { token: `${slowUrl}/token`, jwks: `${idp.issuer}/jwks` },
      timeoutMs: 1_000,
    });
    const started = Date.now();
    const outcome = await slowConnector.login(attempt('alice@corp.example', 'right password'), deadline());
    expect(outcome.kind).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(4_000);
    await slowConnector.close?.();
  });

  it('stops when the login deadline (signal) fires, even if the connector timeout is longer', async () => {
    const slowConnector = connectorFor({ endpoints: { token: `${slowUrl}/token`, jwks: `${idp.issuer}/jwks` }, timeoutMs: 30_000 });
    const started = Date.now();
    const outcome = await slowConnector.login(attempt('alice@corp.example', 'right password'), deadlineIn(500));
    expect(outcome.kind).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(3_000);
    await slowConnector.close?.();
  });
});
