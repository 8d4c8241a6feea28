/**
 * Kayako's IsEmailValid(): no space anywhere, then an RFC-style check. Kayako's builds used different
 * validators over the years; this uses PHP's own FILTER_VALIDATE_EMAIL (php-src
 * ext/filter/logical_filters.c, the non-Unicode regex based on Michael Rushton's), the de-facto PHP
 * notion of a valid address. It accepts ASCII addresses with a dotted, routable domain or an IP literal.
 */

// PCRE runs this regex on bytes without the /u flag, so it is applied to the UTF-8 bytes spelled as a
// latin1 string. PCRE's "." excludes only \n, hence [^\n] where the original has "."; /D is JS's default.
const FILTER_VALIDATE_EMAIL = new RegExp(
  '^(?!(?:(?:\\x22?\\x5C[\\x00-\\x7E]\\x22?)|(?:\\x22?[^\\x5C\\x22]\\x22?)){255,})' +
    '(?!(?:(?:\\x22?\\x5C[\\x00-\\x7E]\\x22?)|(?:\\x22?[^\\x5C\\x22]\\x22?)){65,}@)' +
    '(?:(?:[\\x21\\x23-\\x27\\x2A\\x2B\\x2D\\x2F-\\x39\\x3D\\x3F\\x5E-\\x7E]+)|' +
    '(?:\\x22(?:[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F\\x21\\x23-\\x5B\\x5D-\\x7F]|(?:\\x5C[\\x00-\\x7F]))*\\x22))' +
    '(?:\\.(?:(?:[\\x21\\x23-\\x27\\x2A\\x2B\\x2D\\x2F-\\x39\\x3D\\x3F\\x5E-\\x7E]+)|' +
    '(?:\\x22(?:[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F\\x21\\x23-\\x5B\\x5D-\\x7F]|(?:\\x5C[\\x00-\\x7F]))*\\x22)))*' +
    '@(?:(?:(?![^\\n]*[^.]{64,})(?:(?:(?:xn--)?[a-z0-9]+(?:-+[a-z0-9]+)*\\.){1,126}){1,}' +
    '(?:(?:[a-z][a-z0-9]*)|(?:(?:xn--)[a-z0-9]+))(?:-+[a-z0-9]+)*)|' +
    '(?:\\[(?:(?:IPv6:(?:(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){7})|' +
    '(?:(?!(?:[^\\n]*[a-f0-9][:\\]]){7,})(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,5})?::(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,5})?)))|' +
    '(?:(?:IPv6:(?:(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){5}:)|' +
    '(?:(?!(?:[^\\n]*[a-f0-9]:){5,})(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,3})?::(?:[a-f0-9]{1,4}(?::[a-f0-9]{1,4}){0,3}:)?)))?' +
    '(?:(?:25[0-5])|(?:2[0-4][0-9])|(?:1[0-9]{2})|(?:[1-9]?[0-9]))(?:\\.(?:(?:25[0-5])|(?:2[0-4][0-9])|(?:1[0-9]{2})|(?:[1-9]?[0-9]))){3}))\\]))$',
  'i',
);

/** The maximum length PHP allows, in bytes (RFC 2821's 320 octets). */
const MAX_EMAIL_BYTES = 320;

/** Whether Kayako's IsEmailValid() would accept this address (see the module comment). */
export function isEmailValidLikeKayako(address: string): boolean {
  if (address.includes(' ')) return false;
  const bytes = new TextEncoder().encode(address);
  if (bytes.length > MAX_EMAIL_BYTES) return false;
  return FILTER_VALIDATE_EMAIL.test(Buffer.from(bytes).toString('latin1'));
}
