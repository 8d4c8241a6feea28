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
    expect(await throttle.recordFailure('r', 'alice')).toBe(false);
    expect(await throttle.recordFailure('r', 'alice')).toBe(false);
    expect(await throttle.recordFailure('r', 'alice')).toBe(true);
    expect(await throttle.admit('r', 'alice', '')).toBe('locked');
    expect(await throttle.admit('r', 'ALICE ', '')).toBe('locked'); // usernames are case-insensitive
    expect(await throttle.admit('r', 'bob', '')).toBe('allowed');
    expect(await throttle.admit('other-realm', 'alice', '')).toBe('allowed');
  });

  it('unlocks after the lock period', async () => {
    const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 1000 }), settings);
    for (let i = 0; i < 3; i++) await throttle.recordFailure('r', 'carol');
    expect(await throttle.admit('r', 'carol', '')).toBe('locked');
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await throttle.admit('r', 'carol', '')).toBe('allowed');
  });

  it('a successful login clears the failure count', async () => {
    const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 1000 }), settings);
    await throttle.recordFailure('r', 'dave');
    await throttle.recordFailure('r', 'dave');
    await throttle.recordSuccess('r', 'dave');
    expect(await throttle.recordFailure('r', 'dave')).toBe(false);
    expect(await throttle.recordFailure('r', 'dave')).toBe(false);
  });

  it('rate-limits one end-user address across usernames (password spraying)', async () => {
    const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 1000 }), settings);
    const verdicts = [];
    for (let i = 0; i < 7; i++) verdicts.push(await throttle.admit('r', `user${i}`, '198.51.100.7'));
    expect(verdicts).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'rate_limited_ip', 'rate_limited_ip']);
    expect(await throttle.admit('r', 'user0', '198.51.100.8')).toBe('allowed');
  });
});
