import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Local-account password hashes: scrypt (a memory-hard KDF in Node's standard library, so no native add-on),
 * stored as `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64, no padding) — the parameters travel with the hash
 * so they can be raised later without invalidating old ones.
 */
const DEFAULT_PARAMS = { ln: 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

export class PasswordHashFormatError extends Error {
  readonly code = 'ERR_PASSWORD_HASH_FORMAT';
}

interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  if (password.includes('\0')) throw new RangeError('a password must not contain a NUL character');
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params, KEY_LENGTH);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const { params, salt, key } = parsePasswordHash(encoded);
  const candidate = await derive(password, salt, params, key.length);
  // scrypt's HMAC pads a short key with zero bytes, so "secret" and "secret\0" derive the same key: no password
  // holds a NUL (hashPassword refuses one), so one typed with a NUL is wrong whatever it derives.
  return timingSafeEqual(candidate, key) && !password.includes('\0');
}

export function parsePasswordHash(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const match = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(encoded);
  if (!match) {
    throw new PasswordHashFormatError(
      'not a scrypt hash of the form $scrypt$ln=…,r=…,p=…$salt$hash (make one with `loginshare-bridge hash-password`)',
    );
  }
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (params.ln < 10 || params.ln > 22 || params.r < 1 || params.p < 1) {
    throw new PasswordHashFormatError('scrypt parameters out of range (ln 10..22, r ≥ 1, p ≥ 1)');
  }
  const key = Buffer.from(match[5]!, 'base64');
  if (key.length < 16) throw new PasswordHashFormatError('scrypt hash is too short');
  return { params, salt: Buffer.from(match[4]!, 'base64'), key };
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '');
}
