import { expect, it } from 'vitest';
import { splitAppendedOtp } from '../../src/login/appended-otp.js';
import { totp } from '../support/totp.js';

const settings = { separator: ',', minDigits: 6, maxDigits: 8 };

it('splits at the last separator when 6-8 digits follow it', () => {
  expect(splitAppendedOtp('secret,123456', settings)).toEqual({ password: 'secret', otp: '123456' });
  expect(splitAppendedOtp('a,b,c,12345678', settings)).toEqual({ password: 'a,b,c', otp: '12345678' });
});

it('leaves a password without a code as typed', () => {
  for (const typed of ['secret', 'secret,12345', 'secret,123456789', 'secret,12a456', ',123456', 'secret,', 'secret;123456']) {
    expect(splitAppendedOtp(typed, settings)).toEqual({ password: typed, otp: undefined });
  }
});

it('takes a multi-character separator', () => {
  expect(splitAppendedOtp('pw:: 1', { ...settings, separator: '::' }).otp).toBeUndefined();
  expect(splitAppendedOtp('p::w::654321', { ...settings, separator: '::' })).toEqual({ password: 'p::w', otp: '654321' });
});

it('the tests’ TOTP matches RFC 6238’s SHA-1 test vectors', () => {
  const key = Buffer.from('12345678901234567890');
  expect(totp(key, 59_000, 30, 8)).toBe('94287082');
  expect(totp(key, 1_111_111_109_000, 30, 8)).toBe('07081804');
  expect(totp(key, 20_000_000_000_000, 30, 8)).toBe('65353130');
});
