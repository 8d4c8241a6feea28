import { createHmac } from 'node:crypto';

/**
 * RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits — Keycloak's default policy), computed the way an
 * authenticator app does from the shared secret, so tests can type the code a person would.
 */
export function totp(secret: Buffer, atMs: number = Date.now(), stepSeconds = 30, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / stepSeconds)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  // RFC 4226 §5.3 dynamic truncation.
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(value).padStart(digits, '0');
}

/** Milliseconds until the current TOTP step ends. */
export function msLeftInStep(atMs: number = Date.now(), stepSeconds = 30): number {
  return stepSeconds * 1000 - (atMs % (stepSeconds * 1000));
}
