import { deadlineIn } from '../../src/login/deadline.js';
import { describe, expect, it } from 'vitest';
import type { KeyValueCache } from '../../src/cache/cache.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import type { Identity } from '../../src/login/vocabulary.js';
import { createCachedGroupResolver, groupCacheKey } from '../../src/groups/cached-group-resolver.js';
import type { GroupLookup, GroupResolver } from '../../src/groups/group-resolver.js';

function identity(subject: string): Identity {
  return { subject, username: subject, emails: [], groups: [], claims: {}, connectorId: 'corp' };
}

const lookup = (subject: string, realmId = 'main', accessToken = 'user-access-token-SECRET'): GroupLookup => ({
  realmId,
  identity: identity(subject),
  accessToken,
});

/** An upstream that counts its calls and answers when told to. */
function countingUpstream(groupsFor: (subject: string) => string[] = (s) => [`${s}-group`]) {
  let calls = 0;
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const resolver: GroupResolver = {
    async resolve({ identity: who }) {
      calls++;
      if (gate) await gate;
      return groupsFor(who.subject);
    },
  };
  return {
    resolver,
    calls: () => calls,
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    release() {
      gate = undefined;
      release?.();
    },
  };
}

function setup(options: { ttlSeconds?: number; cache?: KeyValueCache; now?: () => number } = {}) {
  const upstream = countingUpstream();
  const results: string[] = [];
  const cache = options.cache ?? createMemoryCache({ maxEntries: 100, ...(options.now ? { now: options.now } : {}) });
  const resolver = createCachedGroupResolver(upstream.resolver, {
    cache,
    ttlSeconds: options.ttlSeconds ?? 300,
    connectorId: 'corp',
    lookupTimeoutMs: 5_000,
    onResult: (result) => results.push(result),
  });
  return { upstream, resolver, results, cache };
}

const deadline = () => deadlineIn(5_000);

describe('cached group resolver', () => {
  it('answers a second login from the cache without asking upstream, and reports miss then hit', async () => {
    const { upstream, resolver, results } = setup();
    expect(await resolver.resolve(lookup('alice'), deadline())).toEqual(['alice-group']);
    expect(await resolver.resolve(lookup('alice'), deadline())).toEqual(['alice-group']);
    expect(upstream.calls()).toBe(1);
    expect(results).toEqual(['miss', 'hit']);
  });

  it('keys by realm, connector and subject: another realm or user is a separate lookup', async () => {
    const { upstream, resolver } = setup();
    await resolver.resolve(lookup('alice', 'main'), deadline());
    await resolver.resolve(lookup('alice', 'partners'), deadline());
    await resolver.resolve(lookup('bob', 'main'), deadline());
    expect(upstream.calls()).toBe(3);
    expect(groupCacheKey('main', 'corp', 'alice')).not.toBe(groupCacheKey('partners', 'corp', 'alice'));
    expect(groupCacheKey('main', 'corp', 'alice')).not.toBe(groupCacheKey('main', 'other', 'alice'));
  });

  it('stores only the group list: no token, and the subject only hashed', async () => {
    const { resolver, cache } = setup();
    await resolver.resolve(lookup('alice@corp.example'), deadline());
    const key = groupCacheKey('main', 'corp', 'alice@corp.example');
    expect(key).not.toContain('alice');
    expect(await cache.get(key)).toBe('["alice@corp.example-group"]');
  });

  it('asks upstream again once the TTL has passed', async () => {
    let now = 1_000;
    const { upstream, resolver } = setup({ ttlSeconds: 60, now: () => now });
    await resolver.resolve(lookup('alice'), deadline());
    now += 59_000;
    await resolver.resolve(lookup('alice'), deadline());
    expect(upstream.calls()).toBe(1);
    now += 2_000;
    await resolver.resolve(lookup('alice'), deadline());
    expect(upstream.calls()).toBe(2);
  });

  it('shares one upstream lookup among concurrent logins of the same person', async () => {
    const { upstream, resolver } = setup();
    upstream.hold();
    const answers = Promise.all([1, 2, 3, 4, 5].map(() => resolver.resolve(lookup('alice'), deadline())));
    await new Promise((resolve) => setTimeout(resolve, 20));
    upstream.release();
    expect(await answers).toEqual(Array(5).fill(['alice-group']));
    expect(upstream.calls()).toBe(1);
  });

  it('lets one impatient login give up without failing the others waiting on the same lookup', async () => {
    const { upstream, resolver } = setup();
    upstream.hold();
    const impatient = new AbortController();
    const first = resolver.resolve(lookup('alice'), { remainingMs: () => 5_000, signal: impatient.signal });
    const second = resolver.resolve(lookup('alice'), deadline());
    impatient.abort(new Error('login deadline'));
    await expect(first).rejects.toThrow('login deadline');
    upstream.release();
    expect(await second).toEqual(['alice-group']);
  });

  it('does not remember a failure: the next login asks upstream again', async () => {
    let fail = true;
    let calls = 0;
    const resolver = createCachedGroupResolver(
      {
        async resolve() {
          calls++;
          if (fail) throw new Error('Graph 503');
          return ['ok'];
        },
      },
      { cache: createMemoryCache({ maxEntries: 10 }), ttlSeconds: 300, connectorId: 'corp', lookupTimeoutMs: 1_000 },
    );
    await expect(resolver.resolve(lookup('alice'), deadline())).rejects.toThrow('Graph 503');
    fail = false;
    expect(await resolver.resolve(lookup('alice'), deadline())).toEqual(['ok']);
    expect(calls).toBe(2);
  });

  it('with TTL 0 never caches (but still coalesces)', async () => {
    const { upstream, resolver, cache } = setup({ ttlSeconds: 0 });
    await resolver.resolve(lookup('alice'), deadline());
    await resolver.resolve(lookup('alice'), deadline());
    expect(upstream.calls()).toBe(2);
    expect(await cache.get(groupCacheKey('main', 'corp', 'alice'))).toBeUndefined();
  });

  it('treats a broken cache as a miss: the login still gets its groups', async () => {
    const broken: KeyValueCache = {
      kind: 'redis',
      get: () => Promise.reject(new Error('ECONNREFUSED')),
      set: () => Promise.reject(new Error('ECONNREFUSED')),
      delete: () => Promise.reject(new Error('ECONNREFUSED')),
      increment: () => Promise.reject(new Error('ECONNREFUSED')),
      admit: () => Promise.reject(new Error('ECONNREFUSED')),
      ping: () => Promise.reject(new Error('ECONNREFUSED')),
      close: async () => {},
    };
    const { upstream, resolver } = setup({ cache: broken });
    expect(await resolver.resolve(lookup('alice'), deadline())).toEqual(['alice-group']);
    expect(upstream.calls()).toBe(1);
  });

  it('ignores a cached value that is not a group list', async () => {
    const { upstream, resolver, cache } = setup();
    await cache.set(groupCacheKey('main', 'corp', 'alice'), '{"not":"a list"}', 60_000);
    expect(await resolver.resolve(lookup('alice'), deadline())).toEqual(['alice-group']);
    expect(upstream.calls()).toBe(1);
  });
});
