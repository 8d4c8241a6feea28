import { describe, expect, it } from 'vitest';
import { callerAddressResolver, createCallerGuard } from '../../src/http/caller-guard.js';

const SECRET = 'kayako-shared-secret-0123456789';
const request = (over: Partial<Parameters<ReturnType<typeof createCallerGuard>>[0]> = {}) => ({
  peerAddress: '10.1.2.3',
  forwardedFor: undefined,
  keyParam: SECRET,
  authorization: undefined,
  ...over,
});

describe('caller guard: only Kayako may post passwords here', () => {
  it('admits the right secret from ?key=', () => {
    expect(createCallerGuard({ secret: SECRET, allowFrom: [] }, [])(request())).toEqual({ ok: true, callerAddress: '10.1.2.3' });
  });

  it('admits the secret as the password of HTTP Basic (https://kayako:SECRET@host/… in Kayako)', () => {
    const authorization = `Basic ${Buffer.from(`kayako:${SECRET}`).toString('base64')}`;
    expect(createCallerGuard({ secret: SECRET, allowFrom: [] }, [])(request({ keyParam: undefined, authorization })).ok).toBe(true);
  });

  it('refuses a missing or wrong secret, saying which', () => {
    const guard = createCallerGuard({ secret: SECRET, allowFrom: [] }, []);
    expect(guard(request({ keyParam: undefined }))).toMatchObject({ ok: false, reason: 'missing_secret' });
    expect(guard(request({ keyParam: `${SECRET}x` }))).toMatchObject({ ok: false, reason: 'wrong_secret' });
    expect(guard(request({ keyParam: 'short' }))).toMatchObject({ ok: false, reason: 'wrong_secret' });
  });

  it('refuses callers outside the allowlist even with the right secret', () => {
    const guard = createCallerGuard({ secret: SECRET, allowFrom: ['10.0.0.0/8', '2001:db8::/32'] }, []);
    expect(guard(request({ peerAddress: '10.200.0.1' })).ok).toBe(true);
    expect(guard(request({ peerAddress: '::ffff:10.200.0.1' })).ok).toBe(true);
    expect(guard(request({ peerAddress: '2001:db8::5' })).ok).toBe(true);
    expect(guard(request({ peerAddress: '192.0.2.1' }))).toMatchObject({ ok: false, reason: 'address_not_allowed', callerAddress: '192.0.2.1' });
  });

  it('believes X-Forwarded-For only from trusted proxies', () => {
    const guard = createCallerGuard({ secret: SECRET, allowFrom: ['10.0.0.0/8'] }, ['172.16.0.0/12']);
    // Through the trusted ingress: the hop before it is the caller.
    expect(guard(request({ peerAddress: '172.16.0.5', forwardedFor: '10.9.9.9' }))).toMatchObject({ ok: true, callerAddress: '10.9.9.9' });
    // A client that is not a proxy cannot claim an allowed address.
    expect(guard(request({ peerAddress: '192.0.2.1', forwardedFor: '10.9.9.9' }))).toMatchObject({ ok: false, callerAddress: '192.0.2.1' });
    // A forged left-most entry is ignored: the right-most untrusted hop counts.
    expect(guard(request({ peerAddress: '172.16.0.5', forwardedFor: '10.9.9.9, 192.0.2.66' }))).toMatchObject({ ok: false, callerAddress: '192.0.2.66' });
  });

  it('walks through several trusted proxies', () => {
    const resolve = callerAddressResolver(['172.16.0.0/12']);
    expect(resolve('172.16.0.5', '198.51.100.2, 172.16.3.3')).toBe('198.51.100.2');
  });
});
