import { constants, verify, type KeyObject } from 'node:crypto';
import type { Deadline } from '../../login/deadline.js';

/**
 * Compact JWS (RFC 7515 §7.1) verification with node:crypto on KeyObjects, synchronously: WebCrypto (jose,
 * oauth4webapi) sends every verification to the libuv thread pool and back, which on Node 20 took 190–230 µs per
 * RS256 verification in sequence against 38 µs here (docs/benchmarks.md). Only asymmetric algorithms exist here:
 * the caller names the one it expects, so `none` and HS256-keyed-with-the-public-key are refused before any key
 * is looked at.
 */
export class JwtRejected extends Error {
  readonly code = 'ERR_JWT_REJECTED';
  constructor(reason: string) {
    super(reason);
    this.name = 'JwtRejected';
  }
}

export type KeyType = 'RSA' | 'EC' | 'OKP';

export interface JwsAlgorithm {
  /** The JWK `kty` a key for this algorithm has, and its `crv` where that matters (RFC 7518 §3, RFC 8037 §3.1). */
  kty: KeyType;
  crv?: string;
  check(data: Buffer, key: KeyObject, signature: Buffer): boolean;
}

const pkcs1 = (hash: string): JwsAlgorithm['check'] => (data, key, signature) => verify(hash, data, key, signature);
// RFC 7518 §3.5: the salt is as long as the hash.
const pss = (hash: string, saltLength: number): JwsAlgorithm['check'] => (data, key, signature) =>
  verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
// RFC 7518 §3.4: R || S, fixed length — not DER.
const ecdsa = (hash: string): JwsAlgorithm['check'] => (data, key, signature) => verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
const eddsa: JwsAlgorithm['check'] = (data, key, signature) => verify(null, data, key, signature);

export const JWS_ALGORITHMS: ReadonlyMap<string, JwsAlgorithm> = new Map<string, JwsAlgorithm>([
  ['RS256', { kty: 'RSA', check: pkcs1('sha256') }],
  ['RS384', { kty: 'RSA', check: pkcs1('sha384') }],
  ['RS512', { kty: 'RSA', check: pkcs1('sha512') }],
  ['PS256', { kty: 'RSA', check: pss('sha256', 32) }],
  ['PS384', { kty: 'RSA', check: pss('sha384', 48) }],
  ['PS512', { kty: 'RSA', check: pss('sha512', 64) }],
  ['ES256', { kty: 'EC', crv: 'P-256', check: ecdsa('sha256') }],
  ['ES384', { kty: 'EC', crv: 'P-384', check: ecdsa('sha384') }],
  ['ES512', { kty: 'EC', crv: 'P-521', check: ecdsa('sha512') }],
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519', check: eddsa }],
  // The fully-specified name (RFC 9864) for the same thing.
  ['Ed25519', { kty: 'OKP', crv: 'Ed25519', check: eddsa }],
]);

/** Where verification keys come from: the IdP's JWKS, cached (jwks.ts). */
export interface KeySource {
  /** The one key for this algorithm and `kid`; throws JwtRejected when there is none (or several and no kid). */
  keyFor(alg: string, kid: string | undefined, deadline: Deadline): KeyObject | Promise<KeyObject>;
}

export interface VerifiedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Checks the form, the algorithm (one of `accept`), the absence of `crit`, and the signature; the payload must be
 * a JSON object. Claims are the caller's business. Messages name what failed, never the token.
 */
export async function verifyCompactJws(token: string, accept: ReadonlySet<string>, keys: KeySource, deadline: Deadline): Promise<VerifiedJws> {
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
    const parts = token.split('.').length;
    throw new JwtRejected(parts === 5 ? 'it is encrypted (JWE), which is not supported' : `it is not a compact JWS (${parts} parts, expected 3)`);
  }
  const encodedHeader = token.slice(0, firstDot);
  const encodedPayload = token.slice(firstDot + 1, secondDot);
  const encodedSignature = token.slice(secondDot + 1);
  const header = decodeJsonPart(encodedHeader, 'header');
  const alg = header['alg'];
  if (typeof alg !== 'string' || !accept.has(alg)) {
    throw new JwtRejected(`its alg ${JSON.stringify(alg ?? null)} is not the expected ${[...accept].join(' or ') || '(none configured)'}`);
  }
  const algorithm = JWS_ALGORITHMS.get(alg);
  if (!algorithm) throw new JwtRejected(`alg "${alg}" is not supported (asymmetric RS/PS/ES/EdDSA only)`);
  // RFC 7515 §4.1.11: an extension the recipient does not understand makes the JWS invalid.
  if (header['crit'] !== undefined) throw new JwtRejected('its header has "crit" extensions, none of which are supported');
  const kid = header['kid'];
  if (kid !== undefined && typeof kid !== 'string') throw new JwtRejected('its header kid is not a string');
  const payload = decodeJsonPart(encodedPayload, 'payload');
  if (!BASE64URL.test(encodedSignature)) throw new JwtRejected('its signature is not base64url');

  const found = keys.keyFor(alg, kid, deadline);
  const key = found instanceof Promise ? await found : found;
  const signature = Buffer.from(encodedSignature, 'base64url');
  const data = Buffer.from(token.slice(0, secondDot), 'latin1');
  let valid: boolean;
  try {
    valid = algorithm.check(data, key, signature);
  } catch {
    valid = false; // e.g. an ECDSA signature of the wrong length
  }
  if (!valid) throw new JwtRejected(`signature verification failed (alg ${alg}${kid ? `, kid "${kid}"` : ''})`);
  return { header, payload };
}

function decodeJsonPart(encoded: string, part: 'header' | 'payload'): Record<string, unknown> {
  if (!BASE64URL.test(encoded) || encoded.length % 4 === 1) throw new JwtRejected(`its ${part} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new JwtRejected(`its ${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtRejected(`its ${part} is not a JSON object`);
  return value as Record<string, unknown>;
}
