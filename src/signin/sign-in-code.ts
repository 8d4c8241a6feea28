import { randomInt } from 'node:crypto';

/**
 * The one-time Kayako sign-in code a person types into Kayako's password field: 16 characters of Crockford's
 * Base32 in four groups (`7K2M-XQ4P-…`), 80 random bits. That is far beyond guessing even without the rate
 * limit and lockout in front of it, so codes are stored under a plain SHA-256 (code-store.ts).
 *
 * The shape is distinctive on purpose: in a realm with sign-in codes, a password of exactly this shape is taken
 * as a code and never sent to the IdP.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 4;
const GROUP_LENGTH = 4;
const SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export function newSignInCode(): string {
  return randomGroups(ALPHABET, GROUPS, GROUP_LENGTH);
}

/** `groups` groups of `length` characters drawn uniformly from `alphabet`, joined by `-`. */
export function randomGroups(alphabet: string, groups: number, length: number): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    let part = '';
    for (let i = 0; i < length; i++) part += alphabet[randomInt(alphabet.length)];
    parts.push(part);
  }
  return parts.join('-');
}

/**
 * The code in its canonical form if `typed` has the code's shape, else undefined. Case does not matter, and
 * the letters Crockford's Base32 leaves out for being mistaken for digits are read as those digits (O → 0,
 * I and L → 1), as a person reading the code aloud or retyping it would mean them.
 */
export function parseSignInCode(typed: string): string | undefined {
  const canonical = typed.trim().toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  return SHAPE.test(canonical) ? canonical : undefined;
}
