import { deadlineIn } from '../../../src/login/deadline.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoginAttempt } from '../../../src/login/vocabulary.js';
import { createIdTokenVerifier, type IdTokenVerifier } from '../../../src/connectors/oidc/id-token.js';
import { createJwksCache } from '../../../src/connectors/oidc/jwks.js';
import { JwtRejected } from '../../../src/connectors/oidc/jws.js';
import { oidcConnectorSchema } from '../../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../../src/connectors/oidc/oidc-connector.js';
import { createUpstreamHttp, endpointOf, type UpstreamHttp } from '../../../src/connectors/oidc/upstream-http.js';
import { json, signingKey, startLoopbackIdp, type LoopbackIdp, type SigningKey } from './loopback-idp.js';

/**
 * The JWKS cache against a real key-set server on loopback: keys are fetched once, a rotated key is picked up
 * by one refetch, a flood of unknown kids costs one download per cooldown, and an outage is not remembered.
 */
let idp: LoopbackIdp;
let http: UpstreamHttp;
let first: SigningKey;
let rotated: SigningKey;
const deadline = () => deadlineIn(5_000);

/** Waits (up to 2 s) for something the bridge does in the background. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!condition()) throw new Error('timed out waiting');
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Runs `run` again (for up to 2 s) until it rejects, and rejects with that error; resolves if it never does. */
async function eventually(run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A clock the test moves by hand, so a 30 s cooldown needs no 30 s wait. */
function manualClock() {
  let ms = Date.now();
  return { now: () => ms, advance: (by: number) => void (ms += by) };
}

function verifier(clock: { now: () => number }, options: { cooldownMs?: number } = {}): IdTokenVerifier {
  const jwks = createJwksCache({
    endpoint: endpointOf(`${idp.issuer}/jwks`, true),
    http,
    now: clock.now,
    ...(options.cooldownMs !== undefined ? { unknownKidCooldownMs: options.cooldownMs } : {}),
  });
  return createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId, alg: 'RS256' }, jwks);
}

beforeAll(async () => {
  first = await signingKey('RS256', 'key-2024');
  rotated = await signingKey('RS256', 'key-2025');
  idp = await startLoopbackIdp({ key: first });
  http = createUpstreamHttp({ connectTimeoutMs: 2_000, requestTimeoutMs: 2_000 });
});
afterEach(() => {
  idp.publish([first]);
  idp.jwksAnswer(undefined);
  idp.tokenAnswer(undefined);
});
afterAll(async () => {
  await http?.close();
  await idp?.stop();
});

describe('JWKS cache', () => {
  it('fetches the key set once for many logins', async () => {
    const verify = verifier(manualClock());
    const before = idp.jwksRequests();
    for (let i = 0; i < 5; i++) await verify.verify(await idp.idToken(first), deadline());
    expect(idp.jwksRequests() - before).toBe(1);
  });

  it('serves 50 concurrent first logins with one fetch', async () => {
    const verify = verifier(manualClock());
    const token = await idp.idToken(first);
    const before = idp.jwksRequests();
    const results = await Promise.all(Array.from({ length: 50 }, () => verify.verify(token, deadline())));
    expect(results).toHaveLength(50);
    expect(idp.jwksRequests() - before).toBe(1);
  });

  it('lets 50 concurrent logins with a newly rotated key all in, with one refetch', async () => {
    const verify = verifier(manualClock());
    await verify.verify(await idp.idToken(first), deadline());
    idp.publish([first, rotated]);
    const token = await idp.idToken(rotated);
    const before = idp.jwksRequests();
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => verify.verify(token, deadline())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    expect(idp.jwksRequests() - before).toBe(1);
  });

  it('picks up a rotated key with one refetch on its unknown kid', async () => {
    const verify = verifier(manualClock());
    await verify.verify(await idp.idToken(first), deadline());
    const before = idp.jwksRequests();
    idp.publish([rotated]);
    await expect(verify.verify(await idp.idToken(rotated), deadline())).resolves.toMatchObject({ sub: 'u-1' });
    expect(idp.jwksRequests() - before).toBe(1);
  });

  it('answers 50 concurrent logins with an unknown kid with one fetch, and fetches again only after the cooldown', async () => {
    const clock = manualClock();
    const verify = verifier(clock, { cooldownMs: 30_000 });
    await verify.verify(await idp.idToken(first), deadline());
    const stranger = await signingKey('RS256', 'never-published');
    const token = await idp.idToken(stranger);
    const before = idp.jwksRequests();

    const results = await Promise.allSettled(Array.from({ length: 50 }, () => verify.verify(token, deadline())));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof JwtRejected)).toBe(true);
    expect(idp.jwksRequests() - before).toBe(1);

    clock.advance(29_000);
    await expect(verify.verify(token, deadline())).rejects.toThrow(/no key .* fits alg RS256 and kid "never-published"/);
    expect(idp.jwksRequests() - before).toBe(1);

    clock.advance(1_000);
    await expect(verify.verify(token, deadline())).rejects.toBeInstanceOf(JwtRejected);
    expect(idp.jwksRequests() - before).toBe(2);
  });

  it('refreshes a five-minute-old set in the background: logins go on, a withdrawn key is refused once the new set is in', async () => {
    const clock = manualClock();
    const verify = verifier(clock);
    const token = await idp.idToken(first);
    await verify.verify(token, deadline());
    const before = idp.jwksRequests();
    idp.publish([rotated]);
    clock.advance(299_000);
    await expect(verify.verify(token, deadline())).resolves.toMatchObject({ sub: 'u-1' });
    expect(idp.jwksRequests()).toBe(before);
    clock.advance(1_000);
    // Stale: this login is answered from the keys at hand while the set is fetched again.
    await expect(verify.verify(token, deadline())).resolves.toMatchObject({ sub: 'u-1' });
    await until(() => idp.jwksRequests() > before);
    await expect(eventually(() => verify.verify(token, deadline()))).rejects.toThrow(/no key .* kid "key-2024"/);
    await expect(verify.verify(await idp.idToken(rotated), deadline())).resolves.toMatchObject({ sub: 'u-1' });
  });

  it('keeps verifying with the keys it has while a stale set cannot be refreshed (JWKS down)', async () => {
    const clock = manualClock();
    const verify = verifier(clock);
    const token = await idp.idToken(first);
    await verify.verify(token, deadline());
    idp.jwksAnswer(() => ({ status: 503, body: 'down for maintenance' }));
    const before = idp.jwksRequests();
    clock.advance(600_000);
    for (let i = 0; i < 5; i++) await expect(verify.verify(token, deadline())).resolves.toMatchObject({ sub: 'u-1' });
    await until(() => idp.jwksRequests() > before);
    // One failed refresh, then a cooldown before the next try: logins do not hammer a failing endpoint.
    for (let i = 0; i < 5; i++) await verify.verify(token, deadline());
    expect(idp.jwksRequests() - before).toBe(1);
  });

  it('does not remember a failed fetch: the next login fetches again', async () => {
    const verify = verifier(manualClock());
    idp.jwksAnswer(() => ({ status: 503, body: 'down for maintenance' }));
    const before = idp.jwksRequests();
    await expect(verify.verify(await idp.idToken(first), deadline())).rejects.toThrow(/JWKS .* answered HTTP 503/);
    idp.jwksAnswer(undefined);
    await expect(verify.verify(await idp.idToken(first), deadline())).resolves.toMatchObject({ sub: 'u-1' });
    expect(idp.jwksRequests() - before).toBe(2);
  });

  it('does not let a failed refetch for an unknown kid use up the cooldown', async () => {
    const clock = manualClock();
    const verify = verifier(clock);
    await verify.verify(await idp.idToken(first), deadline());
    idp.publish([first, rotated]);
    idp.jwksAnswer(() => ({ status: 502, body: 'bad gateway' }));
    await expect(verify.verify(await idp.idToken(rotated), deadline())).rejects.toThrow(/502/);
    idp.jwksAnswer(undefined);
    await expect(verify.verify(await idp.idToken(rotated), deadline())).resolves.toMatchObject({ sub: 'u-1' });
  });
});

describe('the connector when the JWKS is unavailable', () => {
  const attempt: LoginAttempt = { username: 'una', password: 'pw', endUserIp: '', audience: 'user', realmId: 'test' };
  const connector = () =>
    createOidcConnector(
      oidcConnectorSchema.parse({ id: 'corp', type: 'oidc', issuer: idp.issuer, clientId: idp.clientId, clientSecret: 's', allowInsecureHttp: true, timeoutMs: 2_000 }),
    );

  it('answers unavailable while the key set cannot be fetched, and logs in once it is back', async () => {
    const corp = connector();
    try {
      idp.jwksAnswer(() => ({ status: 503, body: 'down' }));
      const down = await corp.login(attempt, deadline());
      expect(down.kind).toBe('unavailable');
      expect(down.kind === 'unavailable' && down.cause.message).toMatch(/JWKS .* 503/);
      idp.jwksAnswer(undefined);
      expect((await corp.login(attempt, deadline())).kind).toBe('ok');
    } finally {
      await corp.close?.();
    }
  });

  it('answers unavailable when nothing listens at jwks_uri', async () => {
    const corp = createOidcConnector(
      oidcConnectorSchema.parse({
        id: 'corp',
        type: 'oidc',
        issuer: idp.issuer,
        endpoints: { token: `${idp.issuer}/token`, jwks: 'http://127.0.0.1:9/jwks' },
        clientId: idp.clientId,
        clientSecret: 's',
        allowInsecureHttp: true,
        timeoutMs: 2_000,
      }),
    );
    try {
      const outcome = await corp.login(attempt, deadline());
      expect(outcome).toMatchObject({ kind: 'unavailable', cause: { code: 'ERR_IDP_UNREACHABLE' } });
    } finally {
      await corp.close?.();
    }
  });

  it('answers misconfigured when the key set is not a JWK Set', async () => {
    const corp = connector();
    try {
      idp.jwksAnswer(() => json(200, { issuer: 'not a key set' }));
      expect(await corp.login(attempt, deadline())).toMatchObject({ kind: 'misconfigured', cause: { code: 'ERR_ID_TOKEN_REJECTED' } });
    } finally {
      await corp.close?.();
    }
  });
});
