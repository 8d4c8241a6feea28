/**
 * Counters in fixed windows of one length, in this replica's memory: a window starts with a key's first count
 * and ends `windowMs` later, as the shared store's counters do (INCR, then PEXPIRE on the first).
 *
 * Bounded without timers or LRU bookkeeping: every window has the same length, so the order in which windows are
 * made is the order in which they end. Ended windows are dropped from the front as new keys arrive, and when
 * `maxEntries` live windows are held the oldest goes, so a flood of distinct addresses evicts old counts instead
 * of growing the heap. (lru-cache, with per-entry TTL arrays, a move-to-front on every read and an options object
 * per call, cost the throttle twice the CPU and 2.5 × the garbage per login.)
 */
export class WindowCounters {
  readonly #windows = new Map<string, Window>();
  /**
   * Every window made, oldest first, from `#head` on: the order in which they end. (Not the Map's own order: a
   * Map keeps a deleted entry's slot until it grows, so finding its oldest live entry would walk every slot
   * deleted before it.) A window no longer in the Map (deleted, or replaced by a newer one) is skipped.
   */
  #queue: Array<Window | undefined> = [];
  #head = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Adds one to `key`'s count in its window and returns the new count. */
  count(key: string): number {
    const now = this.now();
    const window = this.#windows.get(key);
    if (window !== undefined && window.endsAt > now) return ++window.count;
    this.#makeRoom(now);
    const fresh: Window = { key, count: 1, endsAt: now + this.windowMs };
    this.#windows.set(key, fresh);
    this.#queue.push(fresh);
    return 1;
  }

  /** `key`'s count in its current window; 0 when it has none. */
  peek(key: string): number {
    const window = this.#windows.get(key);
    return window !== undefined && window.endsAt > this.now() ? window.count : 0;
  }

  /** The keys counted in a window that has not ended, with the milliseconds it has left (operators' listings). */
  *live(): Generator<{ key: string; count: number; remainingMs: number }> {
    const now = this.now();
    for (const window of this.#windows.values()) {
      if (window.endsAt > now) yield { key: window.key, count: window.count, remainingMs: window.endsAt - now };
    }
  }

  delete(key: string): void {
    this.#windows.delete(key);
  }

  get size(): number {
    return this.#windows.size;
  }

  /** Drops ended windows from the front, and the oldest live one while the bound is reached. */
  #makeRoom(now: number): void {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const oldest = queue[this.#head]!;
      const current = this.#isCurrent(oldest);
      if (current && oldest.endsAt > now && this.#windows.size < this.maxEntries) break;
      if (current) this.#windows.delete(oldest.key);
      queue[this.#head++] = undefined;
    }
    // Keep the queue's garbage (dropped slots, windows deleted early) within a multiple of the bound.
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    } else if (queue.length - this.#head > 2 * this.maxEntries) {
      this.#queue = queue.slice(this.#head).filter((w) => w !== undefined && this.#isCurrent(w));
      this.#head = 0;
    }
  }

  /** Still the window its key counts in: not deleted, not replaced by a newer one. */
  #isCurrent(window: Window): boolean {
    return this.#windows.get(window.key) === window;
  }
}

interface Window {
  readonly key: string;
  count: number;
  readonly endsAt: number;
}
