import { describe, expect, it } from 'vitest';
import { WindowCounters } from '../../src/security/window-counters.js';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('WindowCounters', () => {
  it('counts within a window that starts with the first count', () => {
    const time = clock();
    const counters = new WindowCounters(1_000, 10, time.now);
    expect(counters.count('a')).toBe(1);
    time.advance(600);
    expect(counters.count('a')).toBe(2);
    expect(counters.peek('a')).toBe(2);
    time.advance(400);
    // The window that began at 0 ended at 1000: not extended by the count at 600.
    expect(counters.peek('a')).toBe(0);
    expect(counters.count('a')).toBe(1);
  });

  it('a key renewed after its window ended is not evicted as if it were old', () => {
    const time = clock();
    const counters = new WindowCounters(1_000, 2, time.now);
    counters.count('a');
    time.advance(500);
    counters.count('b');
    time.advance(500);
    counters.count('a'); // a's window ended: a new one, ending last
    time.advance(100);
    counters.count('c'); // full: the oldest live window (b's) goes, not a's
    expect(counters.peek('a')).toBe(1);
    expect(counters.peek('b')).toBe(0);
    expect(counters.peek('c')).toBe(1);
  });

  it('drops ended windows as new keys arrive, and never holds more than its bound', () => {
    const time = clock();
    const counters = new WindowCounters(1_000, 50, time.now);
    for (let i = 0; i < 40; i++) counters.count(`k${i}`);
    time.advance(1_000);
    counters.count('fresh');
    expect(counters.size).toBe(1);
    for (let i = 0; i < 500; i++) counters.count(`flood${i}`);
    expect(counters.size).toBe(50);
    expect(counters.peek('flood499')).toBe(1);
    expect(counters.peek('flood0')).toBe(0);
  });

  it('delete forgets a count', () => {
    const counters = new WindowCounters(1_000, 10, clock().now);
    counters.count('a');
    counters.count('a');
    counters.delete('a');
    expect(counters.peek('a')).toBe(0);
    expect(counters.count('a')).toBe(1);
  });
});
