import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { abortable } from '../../login/abortable.js';
import { JWS_ALGORITHMS, JwtRejected, type KeySource } from './jws.js';
import { isJsonObject, mediaType, parseJson, USER_AGENT, type Endpoint, type UpstreamHttp } from './upstream-http.js';
import type { Deadline } from '../../login/deadline.js';

/**
 * The IdP's signing keys (RFC 7517 JWK Set from `jwks_uri`), fetched on first use and imported once into
 * KeyObjects. A token whose `kid` is not in the set causes one refetch — the IdP rolled its keys — but at most
 * one per cooldown, so tokens with made-up kids cannot turn every login into a JWKS download. Concurrent
 * fetches are coalesced; a failed fetch is not remembered, so the next login tries again. Like oauth4webapi,
 * a set older than five minutes is fetched again before use: a key the IdP withdrew stops being trusted.
 */
export interface JwksCacheOptions {
  endpoint: Endpoint;
  http: UpstreamHttp;
  /** After a refetch for an unknown kid, how long before another one may happen. Default 30 s. */
  unknownKidCooldownMs?: number;
  /** A key set this old is fetched again before use. Default 5 min (oauth4webapi's). */
  maxAgeMs?: number;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

export interface JwksCache extends KeySource {
  /** Fetches the set now unless a fresh one is held (warm-up before the first login). */
  warm(deadline: Deadline): Promise<void>;
}

interface SigningKey {
  jwk: Record<string, unknown>;
  /** Undefined when node:crypto could not import it or it is too weak; why, in `unusable`. */
  key: KeyObject | undefined;
  unusable?: string;
}

const DEFAULT_COOLDOWN_MS = 30_000;
const DEFAULT_MAX_AGE_MS = 300_000;
const MIN_RSA_BITS = 2048; // oauth4webapi refused smaller RSA keys too

export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const { endpoint, http } = options;
  const cooldownMs = options.unknownKidCooldownMs ?? DEFAULT_COOLDOWN_MS;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = options.now ?? Date.now;

  let keys: SigningKey[] | undefined;
  let fetchedAt = 0;
  let inflight: Promise<SigningKey[]> | undefined;
  let lastUnknownKidRefetch: number | undefined;

  const refresh = (): Promise<SigningKey[]> => {
    // Shared by every login waiting for it, so it carries no login's deadline: the pool's timeouts bound it,
    // and each login stops waiting at its own deadline (abortable).
    inflight ??= download(http, endpoint)
      .then((fresh) => {
        keys = fresh;
        fetchedAt = now();
        return fresh;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const refetchForUnknownKid = (): Promise<SigningKey[]> => {
    const previous = lastUnknownKidRefetch;
    lastUnknownKidRefetch = now();
    const fetching = refresh();
    // A failed fetch does not use up the cooldown: the next login may try again.
    fetching.catch(() => {
      lastUnknownKidRefetch = previous;
    });
    return fetching;
  };

  const pickFromFresh = async (fetching: Promise<SigningKey[]>, alg: string, kid: string | undefined, deadline: Deadline): Promise<KeyObject> => {
    const fresh = await abortable(fetching, deadline.signal);
    return usable(select(fresh, alg, kid, endpoint), alg, kid, endpoint);
  };

  let lastFailedRefresh: number | undefined;
  // A set older than maxAge is refreshed in the background: the login at hand goes on with the keys it has, so
  // no login waits for the JWKS every few minutes, and a JWKS outage does not stop logins whose keys are known.
  // A withdrawn key stops being trusted as soon as the new set is in. After a failed refresh, wait a cooldown.
  const refreshInBackground = (): void => {
    if (inflight) return;
    if (lastFailedRefresh !== undefined && now() - lastFailedRefresh < cooldownMs) return;
    refresh().then(
      () => void (lastFailedRefresh = undefined),
      () => void (lastFailedRefresh = now()),
    );
  };

  return {
    keyFor(alg, kid, deadline) {
      if (keys === undefined) return pickFromFresh(refresh(), alg, kid, deadline);
      if (now() - fetchedAt >= maxAgeMs) refreshInBackground();
      const match = select(keys, alg, kid, endpoint);
      if (match) return usable(match, alg, kid, endpoint);
      // Unknown kid. A fetch already under way may bring it; otherwise refetch unless one was done lately.
      if (inflight) return pickFromFresh(inflight, alg, kid, deadline);
      if (lastUnknownKidRefetch !== undefined && now() - lastUnknownKidRefetch < cooldownMs) {
        throw noKey(alg, kid, endpoint, 'refetched less than the cooldown ago');
      }
      return pickFromFresh(refetchForUnknownKid(), alg, kid, deadline);
    },
    async warm(deadline) {
      if (keys === undefined || now() - fetchedAt >= maxAgeMs) await abortable(refresh(), deadline.signal);
    },
  };
}

/** oauth4webapi's candidate rules: kty (and crv) fit the algorithm, kid and alg agree if present, a signing key. */
function select(keys: SigningKey[], alg: string, kid: string | undefined, endpoint: Endpoint): SigningKey | undefined {
  const algorithm = JWS_ALGORITHMS.get(alg);
  if (!algorithm) throw new JwtRejected(`alg "${alg}" is not supported`);
  let found: SigningKey | undefined;
  let count = 0;
  for (const entry of keys) {
    const jwk = entry.jwk;
    if (jwk['kty'] !== algorithm.kty) continue;
    if (kid !== undefined && jwk['kid'] !== kid) continue;
    if (jwk['alg'] !== undefined && jwk['alg'] !== alg) continue;
    if (jwk['use'] !== undefined && jwk['use'] !== 'sig') continue;
    const ops = jwk['key_ops'];
    if (Array.isArray(ops) && !ops.includes('verify')) continue;
    if (algorithm.crv !== undefined && jwk['crv'] !== algorithm.crv) continue;
    found = entry;
    count += 1;
  }
  if (count > 1) {
    throw new JwtRejected(`several keys in the JWKS at ${endpoint.host} fit alg ${alg}${kid ? ` and kid "${kid}"` : ''}; the token needs a kid that tells them apart`);
  }
  return found;
}

function usable(entry: SigningKey | undefined, alg: string, kid: string | undefined, endpoint: Endpoint): KeyObject {
  if (!entry) throw noKey(alg, kid, endpoint, 'just fetched');
  if (!entry.key) throw new JwtRejected(`the key${kid ? ` "${kid}"` : ''} in the JWKS at ${endpoint.host} is unusable: ${entry.unusable}`);
  return entry.key;
}

function noKey(alg: string, kid: string | undefined, endpoint: Endpoint, when: string): JwtRejected {
  return new JwtRejected(`no key in the JWKS at ${endpoint.host} (${when}) fits alg ${alg}${kid ? ` and kid "${kid}"` : ''}`);
}

const ACCEPT_JWKS = { accept: 'application/json, application/jwk-set+json', 'user-agent': USER_AGENT };

/** Fetches and imports a JWK Set; checks as oauth4webapi's processJwksResponse did. */
async function download(http: UpstreamHttp, endpoint: Endpoint): Promise<SigningKey[]> {
  const answer = await http.call(endpoint, { method: 'GET', headers: ACCEPT_JWKS });
  if (answer.status !== 200) throw new Error(`the JWKS at ${endpoint.host} answered HTTP ${answer.status}`);
  const parsed = parseJson(answer);
  if (!parsed) throw new Error(`the JWKS at ${endpoint.host} is not JSON (${mediaType(answer) ?? 'no content-type'})`);
  const set = parsed.value;
  if (!isJsonObject(set) || !Array.isArray(set['keys'])) throw new JwtRejected(`the JWKS at ${endpoint.host} has no "keys" array`);
  const members: unknown[] = set['keys'];
  if (!members.every(isJsonObject)) throw new JwtRejected(`the JWKS at ${endpoint.host} has members that are not JWK objects`);
  return (members as Record<string, unknown>[]).map(importKey);
}

function importKey(jwk: Record<string, unknown>): SigningKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (err) {
    return { jwk, key: undefined, unusable: `node:crypto cannot import it (${(err as Error).message})` };
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType === 'rsa' && (bits === undefined || bits < MIN_RSA_BITS)) {
    return { jwk, key: undefined, unusable: `RSA modulus of ${bits ?? '?'} bits (at least ${MIN_RSA_BITS} required)` };
  }
  return { jwk, key };
}
