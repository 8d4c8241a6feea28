import { describe, expect, it } from 'vitest';
import { createReadinessMonitor } from '../../src/observability/readiness.js';

describe('readiness monitor', () => {
  it('reports at once from the last results; a hung check is started once, times out, and holds up no other', async () => {
    let hungStarts = 0;
    let redisUp = true;
    const monitor = createReadinessMonitor(
      [
        { name: 'rules', critical: true, check: async () => {} },
        { name: 'idp', critical: false, check: () => (hungStarts++, new Promise<void>(() => {})) },
        { name: 'redis', critical: false, check: async () => { if (!redisUp) throw new Error('redis down'); } },
      ],
      { intervalMs: 20, timeoutMs: 300 },
    );
    try {
      await new Promise((r) => setTimeout(r, 100));
      const early = monitor.report();
      expect(early.status).toBe('degraded');
      expect(early.checks).toEqual([
        { name: 'rules', critical: true, ok: true },
        { name: 'idp', critical: false, ok: false, error: 'not checked yet' },
        { name: 'redis', critical: false, ok: true },
      ]);
      expect(hungStarts).toBe(1); // five intervals, one check still waiting: not started again
      redisUp = false;
      monitor.refresh();
      await new Promise((r) => setTimeout(r, 10));
      expect(monitor.report().checks[2]).toEqual({ name: 'redis', critical: false, ok: false, error: 'redis down' });
      await new Promise((r) => setTimeout(r, 350));
      expect(monitor.report().checks[1]).toEqual({ name: 'idp', critical: false, ok: false, error: 'no answer within 300 ms' });
      expect(hungStarts).toBeGreaterThanOrEqual(2);
    } finally {
      monitor.stop();
    }
  });

  it('a failing critical check is "not ready"', async () => {
    const monitor = createReadinessMonitor([{ name: 'rules', critical: true, check: async () => { throw new Error('no rules'); } }], { intervalMs: 1_000, timeoutMs: 100 });
    await new Promise((r) => setTimeout(r, 10));
    expect(monitor.report()).toMatchObject({ status: 'not ready', ready: false });
    monitor.stop();
  });
});
