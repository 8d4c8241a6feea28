/**
 * Shares one in-flight promise among concurrent callers asking for the same key, so a burst of logins
 * for one user triggers one group lookup, not one per request. Nothing is remembered once the promise
 * settles (caching the result is the cache's job), and a rejection reaches every waiting caller.
 *
 * `fn` runs for whichever caller came first: it must not depend on that caller's AbortSignal, or one
 * impatient caller would fail the others; bound it by its own timeout instead.
 */
export type Coalesce = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export function createCoalescer(): Coalesce {
  const inFlight = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const pending = inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const started = (async () => fn())().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
