import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { deadlineIn } from '../../../src/login/deadline.js';
import type { LoginAttempt, LoginOutcome } from '../../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../../src/login/password-connector.js';
import { oidcConnectorSchema } from '../../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../../src/connectors/oidc/oidc-connector.js';
import { json, signingKey, startLoopbackIdp, type LoopbackIdp, type SigningKey } from './loopback-idp.js';

/**
 * The OIDC connector through its public login() against a scriptable IdP on loopback: what goes on the wire,
 * which ID tokens are refused, how the key set is cached and rolled over, and the login's deadline.
 */
let idp: LoopbackIdp;
let first: SigningKey;
let rotated: SigningKey;
let elsewhere: Server;
let elsewhereHits = 0;
const open: PasswordConnector[] = [];

const attempt = (over: Partial<LoginAttempt> = {}): LoginAttempt => ({
  username: 'una@corp.example',
  password: 'pä ss+&=word',
  endUserIp: '203.0.113.9',
  audience: 'user',
  realmId: 'test',
  ...over,
});

function connector(extra: Record<string, unknown> = {}): PasswordConnector {
  const made = createOidcConnector(
    oidcConnectorSchema.parse({
      id: 'corp',
      type: 'oidc',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: 's3cret/+',
      allowInsecureHttp: true,
      timeoutMs: 2_000,
      ...extra,
    }),
  );
  open.push(made);
  return made;
}

const login = (c: PasswordConnector, ms = 3_000) => c.login(attempt(), deadlineIn(ms));

function causeOf(outcome: LoginOutcome): string {
  return 'cause' in outcome && outcome.cause instanceof Error ? `${(outcome.cause as { code?: string }).code}: ${outcome.cause.message}` : '';
}

/** Answers the token endpoint with this ID token. */
const answerWith = (token: () => Promise<string>) => idp.tokenAnswer(async () => json(200, idp.tokenResponse(await token())));

beforeAll(async () => {
  first = await signingKey('RS256', 'key-2024');
  rotated = await signingKey('RS256', 'key-2025');
  idp = await startLoopbackIdp({ key: first });
  elsewhere = createServer((_req, res) => {
    elsewhereHits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(idp.tokenResponse(undefined));
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
});
afterEach(async () => {
  vi.useRealTimers();
  idp.publish([first]);
  idp.jwksAnswer(undefined);
  idp.tokenAnswer(undefined);
  idp.userinfoAnswer(undefined);
  idp.discoveryAnswer(undefined);
  await Promise.all(open.splice(0).map((c) => c.close?.()));
});
afterAll(async () => {
  await idp?.stop();
  await new Promise((resolve) => elsewhere?.close(resolve));
});

describe('the request', () => {
  it('posts the password grant as a form with the scopes, extra parameters, per-login header and Basic client credentials', async () => {
    const c = connector({ tokenParams: { realm: 'Username-Password-Authentication' }, forwardEndUserIpHeader: 'auth0-forwarded-for' });
    expect((await login(c)).kind).toBe('ok');
    const sent = idp.lastTokenRequest()!;
    const form = new URLSearchParams(sent.body);
    expect(form.get('grant_type')).toBe('password');
    expect(form.get('username')).toBe('una@corp.example');
    expect(form.get('password')).toBe('pä ss+&=word');
    expect(form.get('scope')).toBe('openid profile email');
    expect(form.get('realm')).toBe('Username-Password-Authentication');
    expect(form.has('client_secret')).toBe(false);
    expect(sent.headers['auth0-forwarded-for']).toBe('203.0.113.9');
    const [id, secret] = Buffer.from(sent.headers.authorization!.replace(/^Basic /, ''), 'base64').toString().split(':');
    expect([decodeURIComponent(id!), decodeURIComponent(secret!)]).toEqual([idp.clientId, 's3cret/+']);
  });

  it("sends an extension grant type as configured (Auth0's password-realm)", async () => {
    const grant = 'http://auth0.com/oauth/grant-type/password-realm';
    expect((await login(connector({ grantType: grant }))).kind).toBe('ok');
    expect(new URLSearchParams(idp.lastTokenRequest()!.body).get('grant_type')).toBe(grant);
  });

  it('client_secret_post puts id and secret in the form; a public client sends only its id', async () => {
    await login(connector({ clientAuth: 'client_secret_post' }));
    let sent = idp.lastTokenRequest()!;
    expect(sent.headers.authorization).toBeUndefined();
    expect(new URLSearchParams(sent.body).get('client_secret')).toBe('s3cret/+');
    await login(connector({ clientAuth: 'none', clientSecret: undefined }));
    sent = idp.lastTokenRequest()!;
    expect(sent.headers.authorization).toBeUndefined();
    expect(new URLSearchParams(sent.body).get('client_id')).toBe(idp.clientId);
    expect(new URLSearchParams(sent.body).has('client_secret')).toBe(false);
  });

  it('does not follow a redirect from the token endpoint (the password must not travel to another host)', async () => {
    const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/token`;
    idp.tokenAnswer(() => ({ status: 307, headers: { location: target }, body: '' }));
    const before = elsewhereHits;
    const outcome = await login(connector());
    expect(outcome.kind).not.toBe('ok');
    expect(elsewhereHits).toBe(before);
  });
});

describe('discovery and keys, once per connector', () => {
  it('discovers once and fetches the key set once for many logins', async () => {
    const c = connector();
    const [discovered, fetched] = [idp.discoveryRequests(), idp.jwksRequests()];
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => login(c)));
    for (let i = 0; i < 5; i++) outcomes.push(await login(c));
    expect(outcomes.every((o) => o.kind === 'ok')).toBe(true);
    expect(idp.discoveryRequests() - discovered).toBe(1);
    expect(idp.jwksRequests() - fetched).toBe(1);
  });

  it('serves 50 concurrent first logins with one key-set download', async () => {
    const c = connector();
    await c.prepare?.(deadlineIn(2_000));
    // A key set that takes a while to come, so that the logins all wait for it at once.
    idp.jwksAnswer(() => new Promise((resolve) => setTimeout(() => resolve(json(200, { keys: [first.jwk] })), 200)));
    const fetched = idp.jwksRequests();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => login(c)));
    expect(outcomes.every((o) => o.kind === 'ok')).toBe(true);
    expect(idp.jwksRequests() - fetched).toBe(1);
  });

  it('uses configured endpoints without discovery', async () => {
    const before = idp.discoveryRequests();
    const c = connector({ endpoints: { token: `${idp.issuer}/token`, jwks: `${idp.issuer}/jwks` } });
    expect((await login(c)).kind).toBe('ok');
    expect(idp.discoveryRequests()).toBe(before);
  });

  it('refuses a discovery document naming another issuer, and retries a failed discovery on the next login', async () => {
    idp.discoveryAnswer(() => json(200, { issuer: 'https://evil.example', token_endpoint: `${idp.issuer}/token`, jwks_uri: `${idp.issuer}/jwks` }));
    const c = connector();
    expect((await login(c)).kind).not.toBe('ok');
    idp.discoveryAnswer(undefined);
    expect((await login(c)).kind).toBe('ok');
  });

  it('picks up a rotated key without a restart, and refetches for unknown key ids at most once a minute', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const c = connector();
    expect((await login(c)).kind).toBe('ok');
    const before = idp.jwksRequests();
    // A flood of tokens with a kid nobody published: refused, at most one refetch per minute.
    answerWith(() => idp.idToken(rotated));
    vi.setSystemTime(Date.now() + 61_000);
    const refused = await Promise.all(Array.from({ length: 20 }, () => login(c)));
    expect(refused.every((o) => o.kind === 'misconfigured')).toBe(true);
    for (let i = 0; i < 5; i++) await login(c);
    // oauth4webapi refetches on an unknown kid only when its copy is a minute old; the refetch resets that age,
    // so 25 refused logins cost one download.
    expect(idp.jwksRequests() - before).toBe(1);
    const afterFlood = idp.jwksRequests();
    for (let i = 0; i < 5; i++) await login(c);
    expect(idp.jwksRequests()).toBe(afterFlood);
    // The IdP rolls its key over: the next login after the minute is in.
    idp.publish([first, rotated]);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await login(c)).kind).toBe('ok');
    expect((await login(c)).kind).toBe('ok');
  });

  it('keeps logging in with the keys it has when the key set cannot be refreshed (JWKS down)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const c = connector();
    expect((await login(c)).kind).toBe('ok');
    idp.jwksAnswer(() => json(503, { error: 'temporarily_unavailable' }));
    vi.setSystemTime(Date.now() + 10 * 60_000);
    const fetched = idp.jwksRequests();
    // The ID token's times follow the (moved) clock.
    answerWith(() => idp.idToken(first, { iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 }));
    expect((await login(c)).kind).toBe('ok');
    expect(idp.jwksRequests()).toBeGreaterThan(fetched);
  });

  it('keeps logging in with the keys it has when the key set refresh hangs (JWKS behind a firewall)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const c = connector({ timeoutMs: 5_000 });
    expect((await login(c)).kind).toBe('ok');
    // Accepted and not answered for longer than the login may take.
    idp.jwksAnswer(() => new Promise((resolve) => setTimeout(() => resolve(json(503, {})), 3_000)));
    vi.setSystemTime(Date.now() + 10 * 60_000);
    answerWith(() => idp.idToken(first, { iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 }));
    const started = performance.now();
    const outcome = await login(c, 2_500);
    expect(outcome.kind, causeOf(outcome)).toBe('ok');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('answers unavailable while the key set cannot be fetched at all, and logs in once it is back', async () => {
    idp.jwksAnswer(() => json(503, { error: 'temporarily_unavailable' }));
    const c = connector();
    expect((await login(c)).kind).toBe('unavailable');
    idp.jwksAnswer(undefined);
    expect((await login(c)).kind).toBe('ok');
  });
});

describe('the ID token is always verified', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = () => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: idp.issuer, aud: idp.clientId, sub: 'u-1', iat: now, exp: now + 300 };
  };

  it.each<[string, () => Promise<string>]>([
    ['unsigned (alg none)', async () => `${b64({ alg: 'none' })}.${b64(payload())}.`],
    ['forged: signed by a key the IdP never published, under its kid', async () => idp.idToken(await signingKey('RS256', 'key-2024'))],
    ['tampered payload', async () => {
      const [h, , s] = (await idp.idToken(first)).split('.');
      return `${h}.${b64({ ...payload(), sub: 'admin' })}.${s}`;
    }],
    ['another algorithm than the configured one (ES256 key in the JWKS)', async () => {
      const es = await signingKey('ES256', 'es');
      idp.publish([first, es]);
      return idp.idToken(es);
    }],
    ['HS256 keyed with text (algorithm confusion)', async () => {
      const { SignJWT } = await import('jose');
      return new SignJWT(payload()).setProtectedHeader({ alg: 'HS256', kid: 'key-2024' }).sign(new TextEncoder().encode(JSON.stringify(first.jwk)));
    }],
    ['expired', () => idp.idToken(first, { exp: Math.floor(Date.now() / 1000) - 120 })],
    ['for another audience', () => idp.idToken(first, { aud: 'someone-else' })],
    ['from another issuer', () => idp.idToken(first, { iss: 'https://evil.example' })],
  ])('refuses an ID token that is %s', async (_name, token) => {
    answerWith(token);
    const outcome = await login(connector());
    expect(outcome.kind).toBe('misconfigured');
    expect(causeOf(outcome)).toMatch(/ERR_ID_TOKEN_REJECTED/);
  });

  it('answers misconfigured when the token response has no ID token', async () => {
    idp.tokenAnswer(() => json(200, idp.tokenResponse(undefined)));
    const outcome = await login(connector());
    expect(outcome.kind).toBe('misconfigured');
    expect(causeOf(outcome)).toMatch(/ERR_OIDC_NO_ID_TOKEN/);
  });
});

describe('what the IdP answers', () => {
  it('refuses a token response larger than the bound, as unavailable', async () => {
    idp.tokenAnswer(async () => json(200, idp.tokenResponse(await idp.idToken(first), { padding: 'x'.repeat(3 * 1024 * 1024) })));
    const outcome = await login(connector());
    expect(outcome.kind).toBe('unavailable');
    expect(causeOf(outcome)).toMatch(/exceeds/);
  });

  it('answers unavailable when nothing listens at the token endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const c = connector({ endpoints: { token: `http://127.0.0.1:${port}/token`, jwks: `${idp.issuer}/jwks` } });
    expect((await login(c)).kind).toBe('unavailable');
  });
});

describe('the deadline', () => {
  it('stops at the login deadline, whatever the connector timeout, as unavailable', async () => {
    idp.tokenAnswer(() => new Promise((resolve) => setTimeout(() => resolve(json(200, idp.tokenResponse(undefined))), 1_500)));
    const c = connector({ timeoutMs: 10_000 });
    await c.prepare?.(deadlineIn(2_000));
    const started = performance.now();
    const outcome = await login(c, 300);
    expect(outcome.kind).toBe('unavailable');
    expect(performance.now() - started).toBeLessThan(1_200);
  });

  it('stops reading an answer that trickles in past the login deadline', async () => {
    const body = idp.tokenResponse(await idp.idToken(first));
    idp.tokenAnswer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body, trickleMs: 20 }));
    const c = connector();
    await c.prepare?.(deadlineIn(2_000));
    const started = performance.now();
    const outcome = await login(c, 400);
    expect(outcome.kind).toBe('unavailable');
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});

describe('userinfo', () => {
  it('merges the answer, the ID token winning on conflicts', async () => {
    idp.userinfoAnswer(() => json(200, { sub: 'u-1', name: 'From Userinfo', email: 'una@corp.example', email_verified: true }));
    const outcome = await login(connector({ userinfo: true }));
    expect(outcome.kind).toBe('ok');
    if (outcome.kind === 'ok') expect(outcome.identity).toMatchObject({ displayName: 'Una User' });
  });

  it('refuses an answer about another subject', async () => {
    idp.userinfoAnswer(() => json(200, { sub: 'someone-else' }));
    expect((await login(connector({ userinfo: true }))).kind).not.toBe('ok');
  });
});
