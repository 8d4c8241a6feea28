/**
 * The few PHP built-ins whose exact behaviour decides how Kayako 4 reads a LoginShare answer.
 * Each one was checked against PHP 8.2 (`php -r`); Kayako 4 ran on PHP 5.x–7.x, where the only
 * difference that matters here is noted on phpIntCast.
 */

/** Bytes PHP's trim() removes by default: " \t\n\r\0\x0B". A BOM is not among them. */
const PHP_TRIM_BYTES = new Set([0x20, 0x09, 0x0a, 0x0d, 0x00, 0x0b]);

/** PHP trim() on raw bytes, as Kayako applies it to the body before parsing. */
export function phpTrimBytes(bytes: Uint8Array): Uint8Array {
  let start = 0;
  let end = bytes.length;
  while (start < end && PHP_TRIM_BYTES.has(bytes[start]!)) start++;
  while (end > start && PHP_TRIM_BYTES.has(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}

/** PHP trim() on a string (the same six characters). */
export function phpTrim(text: string): string {
  return text.replace(/^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g, '');
}

/** PHP empty() on a string: "" and "0" are empty, everything else (even " ") is not. */
export function phpEmptyString(text: string): boolean {
  return text === '' || text === '0';
}

/** PHP ASCII strtolower() (locale-insensitive since PHP 8; Kayako's servers ran the C locale). */
export function phpStrToLowerAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
// Leading whitespace PHP's numeric-string parser skips.
const NUMERIC_LEADING_WS = /^[ \t\n\r\x0B\f]*/;
const NUMERIC_PREFIX = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

/**
 * PHP's (int) cast of a string (PHP ≥ 7.1 semantics): leading whitespace skipped, the longest numeric
 * prefix taken ("1abc" → 1, " 1 " → 1, "1e1" → 10, "1.9" → 1, "0x1" → 0, "" → 0), floats truncated
 * toward zero, out-of-range values saturated, INF/NaN → 0. Returned as a bigint so int64 stays exact.
 * PHP 5 used strtol, which differs only for exponents ("1e1" → 1, "1e-5" → 1).
 */
export function phpIntCast(text: string): bigint {
  const rest = text.slice(NUMERIC_LEADING_WS.exec(text)![0].length);
  const match = NUMERIC_PREFIX.exec(rest);
  if (!match) return 0n;
  const numeric = match[0];
  if (/^[+-]?\d+$/.test(numeric)) {
    const value = BigInt(numeric);
    if (value > INT64_MAX) return INT64_MAX;
    if (value < INT64_MIN) return INT64_MIN;
    return value;
  }
  const float = Number(numeric);
  if (!Number.isFinite(float)) return 0n;
  if (float >= 9223372036854775808) return INT64_MAX;
  if (float < -9223372036854775808) return INT64_MIN;
  return BigInt(Math.trunc(float));
}

/**
 * PHP urlencode(): every byte except A-Z a-z 0-9 - _ . is %XX-encoded (upper-case hex), space is "+".
 * Kayako builds the LoginShare POST body with it, so "~" and "*" are encoded, unlike URLSearchParams.
 */
export function phpUrlencode(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    if (
      (byte >= 0x30 && byte <= 0x39) ||
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      byte === 0x2d ||
      byte === 0x5f ||
      byte === 0x2e
    ) {
      out += String.fromCharCode(byte);
    } else if (byte === 0x20) {
      out += '+';
    } else {
      out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}
