/**
 * The time a login (or a warm-up) has left, handed to every connector and group lookup.
 *
 * Upstream calls take `remainingMs()` as their own timeout (undici's headers and body timeouts, which every call
 * has anyway), so the common path needs no AbortSignal at all. On Node 20 a signal costs ~8 µs to make and a few
 * more per listener, on every login: ~5 % of the bridge's throughput. `signal` is there for
 * what only understands signals — a wait on work shared with other logins, a library call — and is made on first
 * use.
 */
export interface Deadline {
  /** Milliseconds left, never below 0. */
  remainingMs(): number;
  /** Aborts, with a `TimeoutError`, when the deadline passes; made on first use. */
  readonly signal: AbortSignal;
}

/** A deadline whose owner ends it when the work is done, so no timer outlives it. */
export interface OwnedDeadline extends Deadline {
  /** Clears the timer behind `signal`, if one was made. */
  dispose(): void;
}

/** A deadline `ms` from now. */
export function deadlineIn(ms: number, reason = 'deadline reached'): OwnedDeadline {
  return new TimedDeadline(performance.now() + ms, reason);
}

class TimedDeadline implements OwnedDeadline {
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly at: number,
    private readonly reason: string,
  ) {}

  remainingMs(): number {
    return Math.max(0, this.at - performance.now());
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const left = this.remainingMs();
      const expire = () => controller.abort(new DOMException(this.reason, 'TimeoutError'));
      if (left <= 0) {
        expire();
      } else {
        this.#timer = setTimeout(expire, left);
        this.#timer.unref();
      }
    }
    return this.#controller.signal;
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

/** Runs `work` under a deadline `ms` from now, and disposes of it when the work settles. */
export async function within<T>(ms: number, reason: string, work: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = deadlineIn(ms, reason);
  try {
    return await work(deadline);
  } finally {
    deadline.dispose();
  }
}

/**
 * A timeout for one upstream call within the deadline: the smaller of the call's own bound and the time left,
 * and at least 1 ms (undici reads 0 as "no timeout").
 */
export function callTimeoutMs(deadline: Deadline | undefined, callBoundMs: number): number {
  if (deadline === undefined) return callBoundMs;
  return Math.max(1, Math.min(callBoundMs, Math.ceil(deadline.remainingMs())));
}
