import { hash, timingSafeEqual } from 'node:crypto';
import { cidrMatcher } from '../security/cidr.js';

/**
 * Only Kayako may call a LoginShare URL: it receives every password of the company. Kayako cannot send
 * custom headers, so the realm's shared secret travels in the URL it is configured with — as `?key=…` or as
 * the password of `https://kayako:SECRET@host/…` (HTTP Basic) — and an optional CIDR allowlist narrows the
 * callers further.
 */
export interface CallerPolicy {
  secret: string;
  allowFrom: readonly string[];
}

export interface CallerRequest {
  /** The address of whoever opened the TCP connection. */
  peerAddress: string;
  forwardedFor: string | undefined;
  keyParam: string | undefined;
  authorization: string | undefined;
}

export type CallerVerdict =
  | { ok: true; callerAddress: string }
  | { ok: false; callerAddress: string; reason: 'missing_secret' | 'wrong_secret' | 'address_not_allowed' };

export function createCallerGuard(policy: CallerPolicy, trustedProxies: readonly string[]): (req: CallerRequest) => CallerVerdict {
  const expected = digest(policy.secret);
  const allowed = policy.allowFrom.length > 0 ? cidrMatcher(policy.allowFrom) : undefined;
  const resolveAddress = callerAddressResolver(trustedProxies);
  return (req) => {
    const callerAddress = resolveAddress(req.peerAddress, req.forwardedFor);
    if (allowed && !allowed(callerAddress)) return { ok: false, callerAddress, reason: 'address_not_allowed' };
    const presented = req.keyParam ?? basicPassword(req.authorization);
    if (presented === undefined || presented === '') return { ok: false, callerAddress, reason: 'missing_secret' };
    // Digests make the comparison constant-time whatever the lengths.
    if (!timingSafeEqual(digest(presented), expected)) return { ok: false, callerAddress, reason: 'wrong_secret' };
    return { ok: true, callerAddress };
  };
}

/**
 * The caller's address: the TCP peer, unless the peer is a trusted proxy — then X-Forwarded-For is read from
 * the right, skipping trusted proxies, and the first untrusted hop is the caller. Entries left of that are
 * whatever the client claimed and are never believed.
 */
export function callerAddressResolver(trustedProxies: readonly string[]): (peer: string, forwardedFor: string | undefined) => string {
  if (trustedProxies.length === 0) return (peer) => normalize(peer);
  const trusted = cidrMatcher(trustedProxies);
  return (peer, forwardedFor) => {
    let address = normalize(peer);
    if (!trusted(address) || !forwardedFor) return address;
    const hops = forwardedFor.split(',').map((h) => normalize(h.trim())).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      address = hops[i]!;
      if (!trusted(address)) return address;
    }
    return address;
  };
}

function basicPassword(authorization: string | undefined): string | undefined {
  if (!authorization || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decodeURIComponentSafe(decoded.slice(colon + 1)) : undefined;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function normalize(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}

function digest(value: string): Buffer {
  // The one-shot hash: a Hash object per call costs a few µs more on Node 20.
  return hash('sha256', value, 'buffer');
}
