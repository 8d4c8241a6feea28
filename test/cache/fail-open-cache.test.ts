import { describe, expect, it, vi } from 'vitest';
import type { KeyValueCache } from '../../src/cache/cache.js';
import { createFailOpenCache } from '../../src/cache/fail-open-cache.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';

/** A shared store that can be switched off, counting the calls that reach it. */
function switchableStore(): { store: KeyValueCache; down: (down: boolean) => void; calls: () => number } {
  const inner = createMemoryCache({ maxEntries: 100 });
  let isDown = false;
  let calls = 0;
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls++;
      if (isDown) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      return fn(...args);
    };
  return {
    store: {
      kind: 'redis',
      get: guard(inner.get),
      set: guard(inner.set),
      delete: guard(inner.delete),
      increment: guard(inner.increment),
      admit: guard(inner.admit),
      ping: guard(inner.ping),
      close: inner.close,
    },
    down: (down) => void (isDown = down),
    calls: () => calls,
  };
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 0;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe('fail-open cache', () => {
  it('uses the shared store while it works', async () => {
    const shared = switchableStore();
    const cache = createFailOpenCache(shared.store, createMemoryCache({ maxEntries: 100 }));
    await cache.set('k', 'v', 60_000);
    expect(await shared.store.get('k')).toBe('v');
    expect(cache.kind).toBe('redis');
  });

  it('answers from memory when the shared store fails, and reports it', async () => {
    const shared = switchableStore();
    const onDegraded = vi.fn();
    const cache = createFailOpenCache(shared.store, createMemoryCache({ maxEntries: 100 }), { onDegraded });
    shared.down(true);
    await expect(cache.set('k', 'v', 60_000)).resolves.toBeUndefined();
    expect(await cache.get('k')).toBe('v');
    expect(await cache.increment('fail:alice', 60_000)).toBe(1);
    expect(await cache.increment('fail:alice', 60_000)).toBe(2);
    await expect(cache.ping()).resolves.toBeUndefined();
    expect(onDegraded).toHaveBeenCalledTimes(1);
    expect(onDegraded.mock.calls[0]?.[0]).toBeInstanceOf(Error);
    expect((onDegraded.mock.calls[0]?.[0] as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('skips the failed store for retryAfterMs, then tries it again and reports the recovery', async () => {
    const time = clock();
    const shared = switchableStore();
    const onRecovered = vi.fn();
    const cache = createFailOpenCache(shared.store, createMemoryCache({ maxEntries: 100 }), { onRecovered }, { retryAfterMs: 1_000, now: time.now });
    shared.down(true);
    await cache.get('k');
    const callsAfterFailure = shared.calls();
    await cache.get('k');
    await cache.get('k');
    expect(shared.calls()).toBe(callsAfterFailure); // not even tried

    shared.down(false);
    await shared.store.set('k', 'from redis', 60_000);
    time.advance(1_000);
    expect(await cache.get('k')).toBe('from redis');
    expect(onRecovered).toHaveBeenCalledTimes(1);
  });

  it('reports a lasting outage again only every reportEveryMs', async () => {
    const time = clock();
    const shared = switchableStore();
    const onDegraded = vi.fn();
    const cache = createFailOpenCache(shared.store, createMemoryCache({ maxEntries: 100 }), { onDegraded }, { retryAfterMs: 0, reportEveryMs: 10_000, now: time.now });
    shared.down(true);
    for (let i = 0; i < 5; i++) {
      await cache.get('k');
      time.advance(1_000);
    }
    expect(onDegraded).toHaveBeenCalledTimes(1);
    time.advance(6_000);
    await cache.get('k');
    expect(onDegraded).toHaveBeenCalledTimes(2);
  });

  it('closes both stores', async () => {
    const shared = switchableStore();
    const close = vi.spyOn(shared.store, 'close');
    const fallback = createMemoryCache({ maxEntries: 1 });
    const fallbackClose = vi.spyOn(fallback, 'close');
    await createFailOpenCache(shared.store, fallback).close();
    expect(close).toHaveBeenCalled();
    expect(fallbackClose).toHaveBeenCalled();
  });
});
