import { deadlineIn } from '../../../src/login/deadline.js';
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, CompactSign, SignJWT } from 'jose';
import { createIdTokenVerifier, ID_TOKEN_CLOCK_TOLERANCE_SECONDS, type IdTokenVerifier } from '../../../src/connectors/oidc/id-token.js';
import { createJwksCache } from '../../../src/connectors/oidc/jwks.js';
import { JwtRejected } from '../../../src/connectors/oidc/jws.js';
import { createUpstreamHttp, endpointOf, type UpstreamHttp } from '../../../src/connectors/oidc/upstream-http.js';
import { signingKey, startLoopbackIdp, type LoopbackIdp, type SigningKey } from './loopback-idp.js';

/**
 * ID token verification (node:crypto, OIDC Core §3.1.3.7) against a real JWKS served on loopback, with tokens
 * signed by jose: every algorithm family verifies, and every way a token can be wrong is refused with a reason.
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

let idp: LoopbackIdp;
let http: UpstreamHttp;
const keys = new Map<string, SigningKey>();
const deadline = () => deadlineIn(5_000);
const nowMs = Date.now();
const now = Math.floor(nowMs / 1000);

function verifierFor(alg: string, options: { issuer?: string } = {}): IdTokenVerifier {
  const jwks = createJwksCache({ endpoint: endpointOf(`${idp.issuer}/jwks`, true), http, now: () => nowMs });
  return createIdTokenVerifier({ issuer: options.issuer ?? idp.issuer, clientId: idp.clientId, alg, now: () => nowMs }, jwks);
}

const rs256 = () => keys.get('RS256')!;

async function rejection(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the token was accepted').toBeInstanceOf(JwtRejected);
  return (err as Error).message;
}

beforeAll(async () => {
  for (const alg of ALGORITHMS) keys.set(alg, await signingKey(alg));
  idp = await startLoopbackIdp();
  idp.publish([...keys.values()]);
  http = createUpstreamHttp({ connectTimeoutMs: 2_000, requestTimeoutMs: 2_000 });
});
afterAll(async () => {
  await http?.close();
  await idp?.stop();
});

describe('signatures', () => {
  it.each(ALGORITHMS)('accepts a %s token signed with the published key', async (alg) => {
    const token = await idp.idToken(keys.get(alg)!, { email: 'una@example.com' });
    const claims = await verifierFor(alg).verify(token, deadline());
    expect(claims).toMatchObject({ sub: 'u-1', email: 'una@example.com', aud: idp.clientId, iss: idp.issuer });
  });

  it('accepts a token without kid when exactly one key fits the algorithm', async () => {
    const token = await new SignJWT({ iss: idp.issuer, aud: idp.clientId, sub: 'u-1', iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'ES384' })
      .sign(keys.get('ES384')!.privateKey);
    await expect(verifierFor('ES384').verify(token, deadline())).resolves.toMatchObject({ sub: 'u-1' });
  });

  it('refuses a token without kid when several keys fit', async () => {
    const second = await signingKey('RS256', 'second-rsa');
    idp.publish([...keys.values(), second]);
    try {
      const token = await new SignJWT({ iss: idp.issuer, aud: idp.clientId, sub: 'u-1', iat: now, exp: now + 300 })
        .setProtectedHeader({ alg: 'RS256' })
        .sign(rs256().privateKey);
      expect(await rejection(verifierFor('RS256').verify(token, deadline()))).toMatch(/several keys/);
    } finally {
      idp.publish([...keys.values()]);
    }
  });

  it('tells keys apart by type and curve when kids collide and the JWKS gives no alg', async () => {
    const rsa = await signingKey('RS256', 'shared');
    const ec = await signingKey('ES256', 'shared');
    const ec384 = await signingKey('ES384', 'shared');
    const withoutAlg = ({ alg: _alg, ...jwk }: SigningKey['jwk']) => jwk;
    idp.publish([ec384, ec, rsa].map((k) => ({ ...k, jwk: withoutAlg(k.jwk) })));
    try {
      await expect(verifierFor('RS256').verify(await idp.idToken(rsa), deadline())).resolves.toMatchObject({ sub: 'u-1' });
      await expect(verifierFor('ES256').verify(await idp.idToken(ec), deadline())).resolves.toMatchObject({ sub: 'u-1' });
    } finally {
      idp.publish([...keys.values()]);
    }
  });

  it('refuses alg "none"', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: 'RS256' }));
    const payload = base64url.encode(JSON.stringify({ iss: idp.issuer, aud: idp.clientId, sub: 'u-1', iat: now, exp: now + 300 }));
    expect(await rejection(verifierFor('RS256').verify(`${header}.${payload}.`, deadline()))).toMatch(/alg "none" is not the expected RS256/);
  });

  it('refuses a token signed with another algorithm than the configured one', async () => {
    const token = await idp.idToken(keys.get('ES256')!);
    expect(await rejection(verifierFor('RS256').verify(token, deadline()))).toMatch(/alg "ES256" is not the expected RS256/);
  });

  it('refuses HS256 keyed with the RSA public key (algorithm confusion)', async () => {
    const publicPem = createPublicKey({ key: rs256().jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const token = await new SignJWT({ iss: idp.issuer, aud: idp.clientId, sub: 'u-1', iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: 'RS256' })
      .sign(new TextEncoder().encode(String(publicPem)));
    expect(await rejection(verifierFor('RS256').verify(token, deadline()))).toMatch(/alg "HS256"/);
    // Even an operator who configured HS256 gets no symmetric verification.
    expect(await rejection(verifierFor('HS256').verify(token, deadline()))).toMatch(/not supported/);
  });

  it('refuses a signature by a key the IdP never published', async () => {
    const forger = await signingKey('RS256', 'RS256'); // claims the published kid
    const token = await idp.idToken(forger);
    expect(await rejection(verifierFor('RS256').verify(token, deadline()))).toMatch(/signature verification failed/);
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await idp.idToken(rs256())).split('.');
    const payload = base64url.encode(JSON.stringify({ iss: idp.issuer, aud: idp.clientId, sub: 'admin', iat: now, exp: now + 300 }));
    expect(await rejection(verifierFor('RS256').verify(`${header}.${payload}.${signature}`, deadline()))).toMatch(/signature verification failed/);
  });

  it('refuses a crit header', async () => {
    const token = await idp.idToken(rs256(), {}, { crit: ['urn:example:ext'], 'urn:example:ext': true });
    expect(await rejection(verifierFor('RS256').verify(token, deadline()))).toMatch(/crit/);
  });
});

describe('malformed tokens', () => {
  it('refuses two parts', async () => {
    const [header, payload] = (await idp.idToken(rs256())).split('.');
    expect(await rejection(verifierFor('RS256').verify(`${header}.${payload}`, deadline()))).toMatch(/not a compact JWS \(2 parts/);
  });

  it('refuses bad base64url', async () => {
    const [, payload, signature] = (await idp.idToken(rs256())).split('.');
    expect(await rejection(verifierFor('RS256').verify(`eyJhbGciOiJSUzI1NiJ9+/=.${payload}.${signature}`, deadline()))).toMatch(/header is not base64url/);
  });

  it('refuses a header that is not JSON', async () => {
    const [, payload, signature] = (await idp.idToken(rs256())).split('.');
    expect(await rejection(verifierFor('RS256').verify(`${base64url.encode('not json')}.${payload}.${signature}`, deadline()))).toMatch(/header is not JSON/);
  });

  it('refuses a correctly signed payload that is not JSON', async () => {
    const token = await new CompactSign(new TextEncoder().encode('hello, not json')).setProtectedHeader({ alg: 'RS256', kid: 'RS256' }).sign(rs256().privateKey);
    expect(await rejection(verifierFor('RS256').verify(token, deadline()))).toMatch(/payload is not JSON/);
  });
});

describe('claims', () => {
  const tolerance = ID_TOKEN_CLOCK_TOLERANCE_SECONDS;
  const verify = async (claims: Record<string, unknown>) => verifierFor('RS256').verify(await idp.idToken(rs256(), claims), deadline());

  it('uses a 30 s clock tolerance, as openid-client did', () => {
    expect(tolerance).toBe(30);
  });

  it('refuses an expired token, and accepts one expired within the tolerance', async () => {
    expect(await rejection(verify({ exp: now - 3600, iat: now - 7200 }))).toMatch(/expired/);
    expect(await rejection(verify({ exp: now - tolerance }))).toMatch(/expired/);
    await expect(verify({ exp: now - tolerance + 1 })).resolves.toMatchObject({ sub: 'u-1' });
  });

  it('refuses a token missing exp', async () => {
    expect(await rejection(verify({ exp: undefined }))).toMatch(/"exp" claim is missing/);
  });

  it('refuses a token not valid yet (nbf in the future beyond the tolerance)', async () => {
    expect(await rejection(verify({ nbf: now + 3600 }))).toMatch(/not valid before/);
    await expect(verify({ nbf: now + tolerance })).resolves.toMatchObject({ sub: 'u-1' });
  });

  it('refuses a token without iat, or with a non-numeric one', async () => {
    expect(await rejection(verify({ iat: undefined }))).toMatch(/"iat" claim is missing/);
    expect(await rejection(verify({ iat: 'yesterday' }))).toMatch(/"iat" claim is not a number/);
  });

  it('refuses another audience', async () => {
    expect(await rejection(verify({ aud: 'some-other-client' }))).toMatch(/audience "some-other-client" is not the client id/);
    expect(await rejection(verify({ aud: ['a', 'b'] }))).toMatch(/does not include the client id/);
  });

  it('with several audiences, requires azp to be this client', async () => {
    expect(await rejection(verify({ aud: [idp.clientId, 'api'] }))).toMatch(/several audiences and no "azp"/);
    expect(await rejection(verify({ aud: [idp.clientId, 'api'], azp: 'api' }))).toMatch(/azp "api" is not the client id/);
    await expect(verify({ aud: [idp.clientId, 'api'], azp: idp.clientId })).resolves.toMatchObject({ sub: 'u-1' });
    await expect(verify({ aud: [idp.clientId] })).resolves.toMatchObject({ sub: 'u-1' });
  });

  it('refuses another issuer, compared exactly', async () => {
    expect(await rejection(verify({ iss: 'https://evil.example' }))).toMatch(/issuer "https:\/\/evil.example" is not the expected/);
    expect(await rejection(verify({ iss: `${idp.issuer}/` }))).toMatch(/issuer/);
  });

  it('refuses a missing or empty sub', async () => {
    expect(await rejection(verify({ sub: undefined }))).toMatch(/"sub" claim is missing/);
    expect(await rejection(verify({ sub: '' }))).toMatch(/"sub" claim is not a non-empty string/);
  });

  it('never puts the token into the reason', async () => {
    const token = await idp.idToken(rs256(), { aud: 'x' });
    const message = await rejection(verifierFor('RS256').verify(token, deadline()));
    for (const part of token.split('.')) expect(message).not.toContain(part);
  });
});
