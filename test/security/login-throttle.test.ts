import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createLoginThrottle } from '../../src/security/login-throttle.js';

const settings = {
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 1 },
  rateLimit: { perIpPerMinute: 5, perUsernamePerMinute: 100 },
};

describe('brute-force protection', () => {
  it('locks a username after N wrong passwords, and only that username', async () => {
    const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 1000 }), settings);
    expect(await throttle.forLogin('r', 'alice').recordFailure()).toBe(false);
    expect(await throttle.forLogin('r', 'alice').recordFailure()).toBe(false);
    expect(await throttle.forLogin('r', 'alice').recordFailure()).toBe(true);
    expect(await throttle.forLogin('r', 'alice').admit('')).toBe('locked');
    expect(await throttle.forLogin('r', 'ALICE ').admit('')).toBe('locked'); // usernames are case-insensitive
    expect(await throttle.forLogin('r', 'bob').admit('')).toBe('allowed');
    expect(await throttle.forLogin('other-realm', 'alice').admit('')).toBe('allowed');
  });

  it('unlocks after the lock period', async () => {
    const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 1000 }), settings);
    for (let i = 0; i < 3; i++) await throttle.forLogin('r', 'carol').recordFailure();
    expect(await throttle.forLogin('r', 'carol').admit('')).toBe('locked');
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await throttle.forLogin('r', 'carol').admit('')).toBe('allowed');
  });

  it('a successful login clears the failure count', async () => {
    const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 1000 }), settings);
    await throttle.forLogin('r', 'dave').recordFailure();
    await throttle.forLogin('r', 'dave').recordFailure();
    await throttle.forLogin('r', 'dave').recordSuccess();
    expect(await throttle.forLogin('r', 'dave').recordFailure()).toBe(false);
    expect(await throttle.forLogin('r', 'dave').recordFailure()).toBe(false);
  });

  it('rate-limits one end-user address across usernames (password spraying)', async () => {
    const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 1000 }), settings);
    const verdicts = [];
    for (let i = 0; i < 7; i++) verdicts.push(await throttle.forLogin('r', `user${i}`).admit('198.51.100.7'));
    expect(verdicts).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'rate_limited_ip', 'rate_limited_ip']);
    expect(await throttle.forLogin('r', 'user0').admit('198.51.100.8')).toBe('allowed');
  });
});
