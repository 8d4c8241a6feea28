import { describe, expect, it } from 'vitest';
import { callTimeoutMs, deadlineIn, within } from '../../src/login/deadline.js';

describe('deadline', () => {
  it('counts down and never goes below zero', async () => {
    const deadline = deadlineIn(40);
    expect(deadline.remainingMs()).toBeGreaterThan(30);
    expect(deadline.remainingMs()).toBeLessThanOrEqual(40);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(deadline.remainingMs()).toBe(0);
  });

  it('its signal aborts with a TimeoutError when the deadline passes', async () => {
    const deadline = deadlineIn(30, 'login deadline reached');
    const { signal } = deadline;
    expect(signal.aborted).toBe(false);
    const aborted = new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
    const reason = await aborted;
    expect(reason).toMatchObject({ name: 'TimeoutError', message: 'login deadline reached' });
    expect(deadline.signal).toBe(signal);
  });

  it('a signal asked for after the deadline is already aborted', async () => {
    const deadline = deadlineIn(5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(deadline.signal.aborted).toBe(true);
  });

  it('once disposed (the login is over), its signal no longer fires', async () => {
    const deadline = deadlineIn(20);
    const { signal } = deadline;
    deadline.dispose();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(signal.aborted).toBe(false);
  });

  it('cuts an upstream call timeout to the time left, never to 0 (undici reads 0 as "no timeout")', async () => {
    expect(callTimeoutMs(undefined, 10_000)).toBe(10_000);
    expect(callTimeoutMs(deadlineIn(60_000), 10_000)).toBe(10_000);
    const short = callTimeoutMs(deadlineIn(500), 10_000);
    expect(short).toBeGreaterThan(400);
    expect(short).toBeLessThanOrEqual(500);
    const passed = deadlineIn(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(callTimeoutMs(passed, 10_000)).toBe(1);
  });

  it('within: runs the work under a deadline and disposes of it when the work settles, either way', async () => {
    const signals: AbortSignal[] = [];
    const result = await within(20, 'warm-up timed out', async (deadline) => {
      signals.push(deadline.signal); // a signal, and so a timer, is made
      return 'done';
    });
    expect(result).toBe('done');
    const failing = within(20, 'warm-up timed out', async (deadline) => {
      signals.push(deadline.signal);
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
  });
});
