import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../src/cache/coalesce.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('coalesce', () => {
  it('runs one lookup for concurrent callers of the same key and gives each the result', async () => {
    const coalesce = createCoalescer();
    const upstream = deferred<string[]>();
    let lookups = 0;
    const lookup = (): Promise<string[]> => {
      lookups++;
      return upstream.promise;
    };
    const answers = Promise.all([coalesce('groups:alice', lookup), coalesce('groups:alice', lookup), coalesce('groups:alice', lookup)]);
    upstream.resolve(['Customers']);
    expect(await answers).toEqual([['Customers'], ['Customers'], ['Customers']]);
    expect(lookups).toBe(1);
  });

  it('runs separate lookups for different keys', async () => {
    const coalesce = createCoalescer();
    const seen: string[] = [];
    const lookup = (who: string) => async () => {
      seen.push(who);
      return who;
    };
    expect(await Promise.all([coalesce('groups:alice', lookup('alice')), coalesce('groups:bob', lookup('bob'))])).toEqual(['alice', 'bob']);
    expect(seen.sort()).toEqual(['alice', 'bob']);
  });

  it('forgets a settled lookup: the next caller starts a new one', async () => {
    const coalesce = createCoalescer();
    let lookups = 0;
    const lookup = async (): Promise<number> => ++lookups;
    expect(await coalesce('k', lookup)).toBe(1);
    expect(await coalesce('k', lookup)).toBe(2);
  });

  it('passes a failure to every waiting caller, and does not keep it', async () => {
    const coalesce = createCoalescer();
    const upstream = deferred<string>();
    const first = coalesce('k', () => upstream.promise);
    const second = coalesce('k', () => Promise.resolve('not called'));
    upstream.reject(new Error('IdP timeout'));
    await expect(first).rejects.toThrow('IdP timeout');
    await expect(second).rejects.toThrow('IdP timeout');
    expect(await coalesce('k', async () => 'fresh')).toBe('fresh');
  });

  it('turns a lookup that throws synchronously into a rejection', async () => {
    const coalesce = createCoalescer();
    await expect(
      coalesce('k', () => {
        throw new Error('bug');
      }),
    ).rejects.toThrow('bug');
  });
});
