import { JwtRejected, verifyCompactJws, type KeySource } from './jws.js';
import type { Deadline } from '../../login/deadline.js';

/**
 * ID token validation for a token-endpoint response (OIDC Core §3.1.3.7), the checks oauth4webapi made: the
 * signature (always — the ID token is the proof of who logged in), then iss, aud/azp, exp, iat, nbf, sub.
 */
export interface IdTokenExpectations {
  /** The issuer identifier exactly as the IdP states it (discovery's `issuer`, or the configured one). */
  issuer: string;
  clientId: string;
  /** The one algorithm accepted (`idTokenAlg`). */
  alg: string;
  /** Seconds of clock difference tolerated on exp and nbf. */
  clockToleranceSeconds?: number;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * oauth4webapi's default `clockTolerance` (getClockTolerance: 30 seconds), which openid-client also set on every
 * client it built — what the connector used until it verified tokens itself.
 */
export const ID_TOKEN_CLOCK_TOLERANCE_SECONDS = 30;

export interface IdTokenVerifier {
  /** The token's claims once every check passed; throws JwtRejected naming the first that failed. */
  verify(idToken: string, deadline: Deadline): Promise<Record<string, unknown>>;
}

export function createIdTokenVerifier(expectations: IdTokenExpectations, keys: KeySource): IdTokenVerifier {
  const accept: ReadonlySet<string> = new Set([expectations.alg]);
  const tolerance = expectations.clockToleranceSeconds ?? ID_TOKEN_CLOCK_TOLERANCE_SECONDS;
  const now = expectations.now ?? Date.now;
  return {
    async verify(idToken, deadline) {
      const { payload } = await verifyCompactJws(idToken, accept, keys, deadline);
      checkClaims(payload, expectations, Math.floor(now() / 1000), tolerance);
      return payload;
    },
  };
}

function checkClaims(claims: Record<string, unknown>, expected: IdTokenExpectations, nowSeconds: number, tolerance: number): void {
  for (const claim of ['iss', 'aud', 'exp', 'iat', 'sub'] as const) {
    if (claims[claim] === undefined) throw new JwtRejected(`the "${claim}" claim is missing`);
  }
  checkTimes(claims, nowSeconds, tolerance);
  const { iss, aud, sub, azp } = claims;
  if (iss !== expected.issuer) throw new JwtRejected(`its issuer ${JSON.stringify(iss)} is not the expected "${expected.issuer}"`);
  if (Array.isArray(aud)) {
    if (!aud.includes(expected.clientId)) throw new JwtRejected(`its audience does not include the client id "${expected.clientId}"`);
    // OIDC Core §3.1.3.7 (4, 5): with other audiences present, azp must name this client.
    if (aud.length !== 1) {
      if (azp === undefined) throw new JwtRejected('it has several audiences and no "azp" claim');
      if (azp !== expected.clientId) throw new JwtRejected(`its azp ${JSON.stringify(azp)} is not the client id "${expected.clientId}"`);
    }
  } else if (aud !== expected.clientId) {
    throw new JwtRejected(`its audience ${JSON.stringify(aud)} is not the client id "${expected.clientId}"`);
  }
  if (typeof sub !== 'string' || sub === '') throw new JwtRejected('the "sub" claim is not a non-empty string');
  const authTime = claims['auth_time'];
  if (authTime !== undefined && (typeof authTime !== 'number' || !Number.isFinite(authTime) || authTime < 0)) {
    throw new JwtRejected('the "auth_time" claim is not a number');
  }
}

/** RFC 7519 §4.1.4, §4.1.5, §4.1.6 for whichever of exp, nbf, iat are present (presence is the caller's rule). */
export function checkTimes(claims: Record<string, unknown>, nowSeconds: number, tolerance: number): void {
  const { exp, iat, nbf } = claims;
  if (exp !== undefined) {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new JwtRejected('the "exp" claim is not a number');
    if (exp <= nowSeconds - tolerance) throw new JwtRejected(`it expired at ${exp} (now ${nowSeconds}, tolerance ${tolerance} s)`);
  }
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw new JwtRejected('the "iat" claim is not a number');
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) throw new JwtRejected('the "nbf" claim is not a number');
    if (nbf > nowSeconds + tolerance) throw new JwtRejected(`it is not valid before ${nbf} (now ${nowSeconds}, tolerance ${tolerance} s)`);
  }
}
