import { deadlineIn } from '../../../src/login/deadline.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientSecretBasic, type ClientMetadata, type ServerMetadata } from 'openid-client';
import type { LoginAttempt, LoginOutcome } from '../../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../../src/login/password-connector.js';
import { oidcConnectorSchema } from '../../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../../src/connectors/oidc/oidc-connector.js';
import { json, startLoopbackIdp, type LoopbackIdp } from './loopback-idp.js';

/**
 * The token request as the IdP sees it (form fields, client authentication, headers) and what the connector
 * makes of every kind of answer — the outcomes openid-client led to before the request was made by hand.
 */
let idp: LoopbackIdp;
const connectors: PasswordConnector[] = [];
const deadline = () => deadlineIn(5_000);
const attempt = (over: Partial<LoginAttempt> = {}): LoginAttempt => ({
  username: 'una@example.com',
  password: 'pw',
  endUserIp: '198.51.100.7',
  audience: 'user',
  realmId: 'test',
  ...over,
});

function connectorWith(extra: Record<string, unknown> = {}): PasswordConnector {
  const connector = createOidcConnector(
    oidcConnectorSchema.parse({
      id: 'corp',
      type: 'oidc',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: 'client-secret',
      allowInsecureHttp: true,
      timeoutMs: 2_000,
      ...extra,
    }),
  );
  connectors.push(connector);
  return connector;
}

const fields = () => new URLSearchParams(idp.lastTokenRequest()!.body);
const headers = () => idp.lastTokenRequest()!.headers;
const causeOf = (outcome: LoginOutcome) => ('cause' in outcome ? { code: (outcome.cause as { code?: string }).code, message: outcome.cause.message } : undefined);

beforeAll(async () => {
  idp = await startLoopbackIdp();
});
afterEach(() => {
  idp.tokenAnswer(undefined);
  idp.userinfoAnswer(undefined);
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close?.()));
  await idp?.stop();
});

describe('the request', () => {
  it('posts the password grant as a form, with the scopes, extra parameters and per-login header', async () => {
    const corp = connectorWith({
      scopes: ['openid', 'email'],
      tokenParams: { realm: 'Username-Password-Authentication', username: 'not-this-one', grant_type: 'not-this-either' },
      forwardEndUserIpHeader: 'auth0-forwarded-for',
    });
    expect((await corp.login(attempt(), deadline())).kind).toBe('ok');
    expect(Object.fromEntries(fields())).toEqual({
      grant_type: 'password',
      username: 'una@example.com',
      password: 'pw',
      scope: 'openid email',
      realm: 'Username-Password-Authentication',
    });
    expect(headers()).toMatchObject({
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      'auth0-forwarded-for': '198.51.100.7',
    });
  });

  it('leaves the forwarding header out when Kayako sent no address', async () => {
    const corp = connectorWith({ forwardEndUserIpHeader: 'auth0-forwarded-for' });
    await corp.login(attempt({ endUserIp: '' }), deadline());
    expect(headers()['auth0-forwarded-for']).toBeUndefined();
  });

  it('sends an extension grant type as configured', async () => {
    const corp = connectorWith({ grantType: 'http://auth0.com/oauth/grant-type/password-realm' });
    await corp.login(attempt(), deadline());
    expect(fields().get('grant_type')).toBe('http://auth0.com/oauth/grant-type/password-realm');
  });

  it('form-encodes any password exactly as URLSearchParams does', async () => {
    const password = `p&ss=w+rd %!'()~*-._ é ü 😀 \\ "quoted" <tag> ;:/?#[]@$,`;
    const corp = connectorWith();
    await corp.login(attempt({ password }), deadline());
    expect(fields().get('password')).toBe(password);
    expect(idp.lastTokenRequest()!.body).toContain(new URLSearchParams({ password }).toString());
  });

  it('client_secret_basic: the same Authorization bytes as openid-client (RFC 6749 §2.3.1 form-encoding first)', async () => {
    const clientId = "app-1_x.y!z~w*(v)'u s:t";
    const secret = 'sëcret:with spaces+plus/slash%percent';
    const corp = connectorWith({ clientId, clientSecret: secret, endpoints: { token: `${idp.issuer}/token`, jwks: `${idp.issuer}/jwks` } });
    await corp.login(attempt(), deadline());
    const expected = new Headers();
    await ClientSecretBasic(secret)({ issuer: idp.issuer } as ServerMetadata, { client_id: clientId } as ClientMetadata, new URLSearchParams(), expected);
    expect(headers()['authorization']).toBe(expected.get('authorization'));
    expect(fields().has('client_secret')).toBe(false);
    expect(fields().has('client_id')).toBe(false);
  });

  it('client_secret_post puts id and secret in the form', async () => {
    const corp = connectorWith({ clientAuth: 'client_secret_post', clientSecret: 'se cret&=' });
    await corp.login(attempt(), deadline());
    expect(fields().get('client_id')).toBe(idp.clientId);
    expect(fields().get('client_secret')).toBe('se cret&=');
    expect(headers()['authorization']).toBeUndefined();
  });

  it('a public client (none) sends its client_id and no secret', async () => {
    const corp = connectorWith({ clientSecret: undefined });
    expect((await corp.login(attempt(), deadline())).kind).toBe('ok');
    expect(fields().get('client_id')).toBe(idp.clientId);
    expect(fields().has('client_secret')).toBe(false);
    expect(headers()['authorization']).toBeUndefined();
  });

  it('private_key_jwt: a fresh assertion per request with the claims openid-client puts in it', async () => {
    const { generateKeyPair, exportPKCS8, exportJWK, jwtVerify, importJWK } = await import('jose');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const corp = connectorWith({ clientAuth: 'private_key_jwt', clientSecret: undefined, privateKey: await exportPKCS8(privateKey), privateKeyAlg: 'ES256', privateKeyId: 'client-key' });
    const verifyKey = await importJWK(await exportJWK(publicKey), 'ES256');
    const assertions: string[] = [];
    for (let i = 0; i < 2; i++) {
      await corp.login(attempt(), deadline());
      expect(fields().get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(fields().get('client_id')).toBe(idp.clientId);
      assertions.push(fields().get('client_assertion')!);
    }
    const { payload, protectedHeader } = await jwtVerify(assertions[0]!, verifyKey, { audience: idp.issuer, issuer: idp.clientId, subject: idp.clientId });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'client-key' });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(typeof payload.jti).toBe('string');
    expect(assertions[1]).not.toBe(assertions[0]);
  });
});

describe('the answer', () => {
  it.each([
    ['a 400 invalid_grant', () => json(400, { error: 'invalid_grant', error_description: 'Invalid user credentials' }), 'invalid_credentials', undefined],
    ['a 400 with application/json; charset=utf-8', () => ({ status: 400, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"error":"mfa_required"}' }), 'mfa_required', undefined],
    ['a 401 invalid_client', () => json(401, { error: 'invalid_client' }), 'misconfigured', 'ERR_IDP_INVALID_CLIENT'],
    ['a 429 slow_down', () => json(429, { error: 'slow_down' }), 'unavailable', 'ERR_IDP_SLOW_DOWN'],
    // An OAuth error body is classified even with a challenge (RFC 6749 §5.2) or a wrong content-type.
    ['a 401 invalid_client with a WWW-Authenticate challenge', () => json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="idp"' }), 'misconfigured', 'ERR_IDP_INVALID_CLIENT'],
    ['a 400 JSON error labelled text/plain', () => ({ status: 400, headers: { 'content-type': 'text/plain' }, body: '{"error":"invalid_grant"}' }), 'invalid_credentials', undefined],
    // A challenge or a page with no OAuth error, any 5xx, a redirect: the IdP is not answering as it should.
    ['a 401 challenge without a body', () => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="idp"' }, body: '' }), 'unavailable', 'ERR_IDP_UNREACHABLE'],
    ['a 403 HTML page', () => ({ status: 403, headers: { 'content-type': 'text/html' }, body: '<html>Forbidden</html>' }), 'unavailable', 'ERR_IDP_UNREACHABLE'],
    ['a 400 without an error field', () => json(400, { message: 'nope' }), 'unavailable', 'ERR_IDP_UNREACHABLE'],
    ['a 503 JSON error', () => json(503, { error: 'temporarily_unavailable' }), 'unavailable', 'ERR_IDP_UNREACHABLE'],
    ['a 302 redirect (not followed)', () => ({ status: 302, headers: { location: 'http://127.0.0.1:9/' }, body: '' }), 'unavailable', 'ERR_IDP_UNREACHABLE'],
    ['a 200 HTML page', () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>' }), 'unavailable', 'ERR_OIDC_BAD_TOKEN_RESPONSE'],
    ['a 200 of broken JSON', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":' }), 'unavailable', 'ERR_OIDC_BAD_TOKEN_RESPONSE'],
    ['a 200 JSON array', () => json(200, '[]'), 'misconfigured', 'ERR_OIDC_BAD_TOKEN_RESPONSE'],
    ['a 200 without access_token', () => json(200, { token_type: 'Bearer', id_token: 'x.y.z' }), 'misconfigured', 'ERR_OIDC_BAD_TOKEN_RESPONSE'],
    ['a 200 with an unsupported token_type', () => json(200, { access_token: 'a', token_type: 'mac', id_token: 'x.y.z' }), 'unavailable', 'ERR_OIDC_BAD_TOKEN_RESPONSE'],
    ['a 200 without id_token', () => json(200, { access_token: 'a', token_type: 'Bearer' }), 'misconfigured', 'ERR_OIDC_NO_ID_TOKEN'],
    ['a 200 whose id_token is garbage', () => json(200, { access_token: 'a', token_type: 'Bearer', id_token: 'garbage' }), 'misconfigured', 'ERR_ID_TOKEN_REJECTED'],
  ])('%s → %s', async (_name, answer, kind, code) => {
    idp.tokenAnswer(answer);
    const outcome = await connectorWith().login(attempt({ password: 'the-password' }), deadline());
    expect(outcome.kind).toBe(kind);
    if (code) expect(causeOf(outcome)?.code).toBe(code);
    expect(JSON.stringify(causeOf(outcome) ?? {})).not.toContain('the-password');
  });

  it('classifies Entra errors by their error_codes', async () => {
    const entra = connectorWith({ dialect: 'entra' });
    idp.tokenAnswer(() => json(400, { error: 'invalid_grant', error_description: 'AADSTS50076: MFA', error_codes: [50076] }));
    expect(await entra.login(attempt(), deadline())).toMatchObject({ kind: 'mfa_required', detail: expect.stringContaining('[50076]') });
    idp.tokenAnswer(() => json(400, { error: 'invalid_grant', error_codes: [50126] }));
    expect(await entra.login(attempt(), deadline())).toEqual({ kind: 'invalid_credentials' });
  });

  it('refuses a token response larger than the bound', async () => {
    idp.tokenAnswer(() => json(200, { access_token: 'a', token_type: 'Bearer', padding: 'x'.repeat(3 * 1024 * 1024) }));
    const outcome = await connectorWith().login(attempt(), deadline());
    expect(outcome.kind).toBe('unavailable');
    expect(causeOf(outcome)?.message).toMatch(/exceeds/);
  });

  it('stops at the login deadline, whatever its own timeout, with a timeout outcome', async () => {
    idp.tokenAnswer(() => new Promise(() => undefined));
    const outcome = await connectorWith({ timeoutMs: 30_000 }).login(attempt(), deadlineIn(300));
    expect(causeOf(outcome)?.code).toBe('ERR_IDP_TIMEOUT');
  });

  it('stops reading an answer that trickles in past the login deadline', async () => {
    // A byte every 50 ms: never idle long enough for the body timeout, done only after ~20 s.
    idp.tokenAnswer(() => ({ ...json(200, { access_token: 'x'.repeat(400), token_type: 'Bearer' }), trickleMs: 50 }));
    const started = performance.now();
    const outcome = await connectorWith({ timeoutMs: 30_000 }).login(attempt(), deadlineIn(400));
    expect(causeOf(outcome)?.code).toBe('ERR_IDP_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});

describe('userinfo', () => {
  it('merges the answer, the ID token winning on conflicts', async () => {
    idp.userinfoAnswer((request) => json(200, { sub: 'u-1', name: 'From Userinfo', department: 'Support', bearer: request.headers['authorization'] }));
    const outcome = await connectorWith({ userinfo: true }).login(attempt(), deadline());
    expect(outcome).toMatchObject({ kind: 'ok', identity: { displayName: 'Una User', claims: { department: 'Support', bearer: 'Bearer access-token-1' } } });
  });

  it('refuses an answer about another subject', async () => {
    idp.userinfoAnswer(() => json(200, { sub: 'someone-else', email: 'ceo@example.com' }));
    const outcome = await connectorWith({ userinfo: true }).login(attempt(), deadline());
    expect(outcome).toMatchObject({ kind: 'misconfigured', cause: { code: 'ERR_USERINFO_REJECTED' } });
  });

  it('reports a failing userinfo endpoint as unavailable', async () => {
    idp.userinfoAnswer(() => ({ status: 500, body: 'oops' }));
    expect((await connectorWith({ userinfo: true }).login(attempt(), deadline())).kind).toBe('unavailable');
  });
});
