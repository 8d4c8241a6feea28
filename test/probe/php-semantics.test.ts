import { describe, expect, it } from 'vitest';
import { isEmailValidLikeKayako } from '../../src/probe/php-email.js';
import { phpEmptyString, phpIntCast, phpTrim, phpTrimBytes, phpUrlencode } from '../../src/probe/php-semantics.js';

// Expected values were produced by PHP 8.2.36 (php -r), the reference for these ports.

describe('phpIntCast reads <result> as PHP (int) does', () => {
  it.each<[string, bigint]>([
  ["+1", 1n],
  [" 1 ", 1n],
  ["\n1\n", 1n],
  ["1abc", 1n],
  ["1.9", 1n],
  ["1e1", 10n],
  ["0x1", 0n],
  ["01", 1n],
  ["true", 0n],
  ["-1", -1n],
  ["99999999999999999999", 9223372036854775807n],
  ["", 0n],
  ["\t1", 1n],
  ["\f1", 1n],
  ["\u00a01", 0n],
  [".5", 0n],
  ["1.", 1n],
  ["1e400", 0n],
  ["1e-5", 0n],
  ["+ 1", 0n],
  ["1e", 1n],
  ])('(int) %j is %s', (text, expected) => {
    expect(phpIntCast(text)).toBe(expected);
  });
});

describe('phpUrlencode builds the body Kayako posts', () => {
  it.each([
    ['pass word', 'pass+word'],
    ['a+b&c=d', 'a%2Bb%26c%3Dd'],
    ['~*-_.', '%7E%2A-_.'],
    ['\u00fc\u20ac', '%C3%BC%E2%82%AC'],
    ['%', '%25'],
    ['\n', '%0A'],
    ['jdoe@corp.example', 'jdoe%40corp.example'],
  ])('urlencode(%j) is %s', (value, expected) => {
    expect(phpUrlencode(value)).toBe(expected);
  });
});

describe('PHP trim and empty', () => {
  it('trims the six default characters but not a BOM', () => {
    expect(phpTrim('\0\x0B \t\r\nx\n')).toBe('x');
    const trimmed = phpTrimBytes(new Uint8Array([0x20, 0xef, 0xbb, 0xbf, 0x3c, 0x0a, 0x00]));
    expect([...trimmed]).toEqual([0xef, 0xbb, 0xbf, 0x3c]);
  });

  it('treats "" and "0" as empty, " " and "00" not', () => {
    expect(['', '0', ' ', '00'].map(phpEmptyString)).toEqual([true, true, false, false]);
  });
});

describe('isEmailValidLikeKayako matches PHP filter_var(FILTER_VALIDATE_EMAIL) plus the no-space rule', () => {
  it.each<[string, boolean]>([
  ["john.doe@example.com", true],
  ["JOHN@EXAMPLE.COM", true],
  ["a@b", false],
  ["a@b.c", true],
  ["a@b.co", true],
  ["user+tag@example.com", true],
  ["user@localhost", false],
  ["user@[127.0.0.1]", true],
  ["user@[IPv6:2001:db8::1]", true],
  ["\"quoted\"@example.com", true],
  ["\"quo ted\"@example.com", false],
  ["a..b@example.com", false],
  [".a@example.com", false],
  ["a.@example.com", false],
  ["user@-example.com", false],
  ["user@example-.com", false],
  ["user@exa_mple.com", false],
  ["user@xn--bcher-kva.example", true],
  ["\u00fcn\u00efcode@example.com", false],
  ["user@b\u00fccher.example", false],
  ["user@example.123", false],
  ["user@123.example", true],
  ["user@example.c0m", true],
  ["user@example.com.", false],
  ["user@@example.com", false],
  ["user@example..com", false],
  [" user@example.com", false],
  ["user@example.com ", false],
  ["user name@example.com", false],
  ["user@ex ample.com", false],
  ["!#$%&'*+-/=?^_`{|}~@example.com", true],
  ["a@a.a", true],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com", true],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com", true],
  ["user@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", false],
  ["user@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", true],
  ["", false],
  ["@example.com", false],
  ["user@", false],
  ["user", false],
  ["user@ex\\ample.com", false],
  ["user@example.com\\n", false],
  ["\"a\\\"b\"@example.com", true],
  ["a\"b@example.com", false],
  ["user@EXAMPLE.COM", true],
  ["user@sub.example.co.uk", true],
  ["user@e.x", true],
  ["user@1.2.3.4", false],
  ["user@[1.2.3.256]", false],
  ["user@[IPv6:::1]", true],
  ["user@[IPv6:1:2:3:4:5:6:7:8]", true],
  ["user@[IPv6:1:2:3:4:5:6:1.2.3.4]", true],
  ])('%j valid: %s', (address, expected) => {
    expect(isEmailValidLikeKayako(address)).toBe(expected);
  });
});
