import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe('memory cache', () => {
  it('returns what was set until its TTL passes, then nothing', async () => {
    const time = clock();
    const cache = createMemoryCache({ maxEntries: 10, now: time.now });
    await cache.set('groups:alice', '["Customers"]', 5_000);
    expect(await cache.get('groups:alice')).toBe('["Customers"]');
    expect(await cache.get('groups:bob')).toBeUndefined();
    time.advance(4_999);
    expect(await cache.get('groups:alice')).toBe('["Customers"]');
    time.advance(2);
    expect(await cache.get('groups:alice')).toBeUndefined();
  });

  it('deletes', async () => {
    const cache = createMemoryCache({ maxEntries: 10 });
    await cache.set('k', 'v', 60_000);
    await cache.delete('k');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('counts within a window that starts at the first increment and is not extended by later ones', async () => {
    const time = clock();
    const cache = createMemoryCache({ maxEntries: 10, now: time.now });
    expect(await cache.increment('fail:alice', 1_000)).toBe(1);
    time.advance(600);
    expect(await cache.increment('fail:alice', 1_000)).toBe(2);
    time.advance(300);
    expect(await cache.increment('fail:alice', 1_000)).toBe(3);
    time.advance(101); // 1001 ms after the first increment: the window is over
    expect(await cache.increment('fail:alice', 1_000)).toBe(1);
  });

  it('keeps separate counters per key', async () => {
    const cache = createMemoryCache({ maxEntries: 10 });
    await cache.increment('a', 60_000);
    await cache.increment('a', 60_000);
    expect(await cache.increment('b', 60_000)).toBe(1);
    expect(await cache.increment('a', 60_000)).toBe(3);
  });

  it('stays bounded: past maxEntries the least recently used entry is evicted', async () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    await cache.set('first', '1', 60_000);
    await cache.set('second', '2', 60_000);
    await cache.get('first'); // now "second" is the least recently used
    await cache.set('third', '3', 60_000);
    expect(await cache.get('second')).toBeUndefined();
    expect(await cache.get('first')).toBe('1');
    expect(await cache.get('third')).toBe('3');
  });

  it('refuses to increment a key that holds a non-counter, as Redis does', async () => {
    const cache = createMemoryCache({ maxEntries: 10 });
    await cache.set('groups:alice', '["Customers"]', 60_000);
    await expect(cache.increment('groups:alice', 60_000)).rejects.toThrow(/does not hold a counter/);
  });

  it('reads a counter back as its decimal string, and counts on from a number that was set, as Redis does', async () => {
    const time = clock();
    const cache = createMemoryCache({ maxEntries: 10, now: time.now });
    await cache.increment('rate:ip', 60_000);
    await cache.increment('rate:ip', 60_000);
    expect(await cache.get('rate:ip')).toBe('2');
    await cache.set('seeded', '41', 1_000);
    expect(await cache.increment('seeded', 60_000)).toBe(42);
    expect(await cache.get('seeded')).toBe('42');
    time.advance(1_001); // the expiry of the value that was set still holds
    expect(await cache.get('seeded')).toBeUndefined();
    await cache.set('not-quite', '4.5', 1_000);
    await expect(cache.increment('not-quite', 60_000)).rejects.toThrow(/does not hold a counter/);
  });

  it('answers ping', async () => {
    await expect(createMemoryCache({ maxEntries: 1 }).ping()).resolves.toBeUndefined();
  });
});
