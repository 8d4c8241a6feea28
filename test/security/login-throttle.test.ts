import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createLoginThrottle, type ThrottleStore } from '../../src/security/login-throttle.js';

const settings = {
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 1 },
  rateLimit: { perIpPerMinute: 5, perUsernamePerMinute: 100 },
};

// The same behaviour whether the counts live in this replica's memory or in the shared cache (Redis in
// production; its own tests are in test/integration/replicas-redis.test.ts and test/cache).
const stores: Array<[string, () => ThrottleStore]> = [
  ['in memory', () => ({ kind: 'memory', maxEntries: 1000 })],
  ['in the shared cache', () => ({ kind: 'shared', cache: createMemoryCache({ maxEntries: 1000 }) })],
];

describe.each(stores)('brute-force protection, counts kept %s', (_name, store) => {
  it('locks a username after N wrong passwords, and only that username', async () => {
    const throttle = createLoginThrottle(store(), settings);
    expect(await throttle.forLogin('r', 'alice').recordFailure()).toBe(false);
    expect(await throttle.forLogin('r', 'alice').recordFailure()).toBe(false);
    expect(await throttle.forLogin('r', 'alice').recordFailure()).toBe(true);
    expect(await throttle.forLogin('r', 'alice').admit('')).toBe('locked');
    expect(await throttle.forLogin('r', 'ALICE ').admit('')).toBe('locked'); // usernames are case-insensitive
    expect(await throttle.forLogin('r', 'bob').admit('')).toBe('allowed');
    expect(await throttle.forLogin('other-realm', 'alice').admit('')).toBe('allowed');
  });

  it('unlocks after the lock period', async () => {
    const throttle = createLoginThrottle(store(), settings);
    for (let i = 0; i < 3; i++) await throttle.forLogin('r', 'carol').recordFailure();
    expect(await throttle.forLogin('r', 'carol').admit('')).toBe('locked');
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await throttle.forLogin('r', 'carol').admit('')).toBe('allowed');
  });

  it('a successful login clears the failure count', async () => {
    const throttle = createLoginThrottle(store(), settings);
    await throttle.forLogin('r', 'dave').recordFailure();
    await throttle.forLogin('r', 'dave').recordFailure();
    await throttle.forLogin('r', 'dave').recordSuccess();
    expect(await throttle.forLogin('r', 'dave').recordFailure()).toBe(false);
    expect(await throttle.forLogin('r', 'dave').recordFailure()).toBe(false);
  });

  it('rate-limits one end-user address across usernames (password spraying)', async () => {
    const throttle = createLoginThrottle(store(), settings);
    const verdicts = [];
    for (let i = 0; i < 7; i++) verdicts.push(await throttle.forLogin('r', `user${i}`).admit('198.51.100.7'));
    expect(verdicts).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'rate_limited_ip', 'rate_limited_ip']);
    expect(await throttle.forLogin('r', 'user0').admit('198.51.100.8')).toBe('allowed');
    expect(await throttle.forLogin('other-realm', 'user0').admit('198.51.100.7')).toBe('allowed');
  });

  it('rate-limits one username across addresses', async () => {
    const throttle = createLoginThrottle(store(), { ...settings, rateLimit: { perIpPerMinute: 100, perUsernamePerMinute: 3 } });
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await throttle.forLogin('r', 'erin').admit(`198.51.100.${i}`));
    expect(verdicts).toEqual(['allowed', 'allowed', 'allowed', 'rate_limited_username']);
    expect(await throttle.forLogin('r', 'frank').admit('198.51.100.9')).toBe('allowed');
  });

  it('a locked username is refused before the rate limits count it', async () => {
    const throttle = createLoginThrottle(store(), { ...settings, rateLimit: { perIpPerMinute: 2, perUsernamePerMinute: 100 } });
    for (let i = 0; i < 3; i++) await throttle.forLogin('r', 'gina').recordFailure();
    for (let i = 0; i < 5; i++) expect(await throttle.forLogin('r', 'gina').admit('198.51.100.20')).toBe('locked');
    // The address's allowance was not spent by the refused attempts.
    expect(await throttle.forLogin('r', 'hank').admit('198.51.100.20')).toBe('allowed');
  });
});

describe('brute-force protection in memory: windows and bounds', () => {
  const clock = () => {
    let now = 1_000;
    return { now: () => now, advance: (ms: number) => void (now += ms) };
  };

  it('a rate window starts with the first attempt and ends a minute later', () => {
    const time = clock();
    const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 1000, now: time.now }, settings);
    for (let i = 0; i < 5; i++) expect(throttle.forLogin('r', `u${i}`).admit('198.51.100.7')).toBe('allowed');
    time.advance(59_999);
    expect(throttle.forLogin('r', 'u5').admit('198.51.100.7')).toBe('rate_limited_ip');
    time.advance(1);
    expect(throttle.forLogin('r', 'u6').admit('198.51.100.7')).toBe('allowed');
  });

  it('failures older than the lockout window do not count', () => {
    const time = clock();
    const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 1000, now: time.now }, settings);
    throttle.forLogin('r', 'ivy').recordFailure();
    throttle.forLogin('r', 'ivy').recordFailure();
    time.advance(60_000);
    expect(throttle.forLogin('r', 'ivy').recordFailure()).toBe(false);
    expect(throttle.forLogin('r', 'ivy').recordFailure()).toBe(false);
    expect(throttle.forLogin('r', 'ivy').recordFailure()).toBe(true);
  });

  it('a flood of distinct addresses is bounded: the oldest counts go, the newest keep counting', () => {
    const time = clock();
    const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 100, now: time.now }, { ...settings, rateLimit: { perIpPerMinute: 1, perUsernamePerMinute: 1e9 } });
    expect(throttle.forLogin('r', 'jay').admit('203.0.113.1')).toBe('allowed');
    for (let i = 0; i < 500; i++) throttle.forLogin('r', 'jay').admit(`198.18.${i >> 8}.${i & 255}`);
    // The newest address is still counted…
    expect(throttle.forLogin('r', 'jay').admit('198.18.1.243')).toBe('rate_limited_ip');
    // …and the first one was pushed out by the flood (the price of a bound; Redis keeps them all).
    expect(throttle.forLogin('r', 'jay').admit('203.0.113.1')).toBe('allowed');
  });
});
