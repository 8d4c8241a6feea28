import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter, HotHistogram } from '../../src/observability/hot-metrics.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The same metric twice: prom-client's own in one registry, ours in another. */
function pair() {
  const reference = new Registry();
  const hot = new Registry();
  const config = { name: 'loginshare_login_duration_seconds', help: 'End-to-end time', labelNames: ['realm', 'audience', 'outcome'] as const, buckets: BUCKETS };
  const counterConfig = { name: 'loginshare_logins_total', help: 'Logins', labelNames: ['realm', 'outcome'] as const };
  return {
    reference,
    hot,
    referenceHistogram: new Histogram({ ...config, labelNames: [...config.labelNames], registers: [reference] }),
    hotHistogram: new HotHistogram({ ...config, registers: [hot] }),
    referenceCounter: new Counter({ ...counterConfig, labelNames: [...counterConfig.labelNames], registers: [reference] }),
    hotCounter: new HotCounter({ ...counterConfig, registers: [hot] }),
  };
}

describe('metrics recorded on the login path', () => {
  it('scrape exactly as prom-client would: several series, values on and between bounds, above every bound', async () => {
    const m = pair();
    const values = [0, 0.005, 0.0051, 0.03, 0.1, 0.7, 2.5, 29.9, 30, 31, 120, 0.000_3];
    const series = [
      { realm: 'main', audience: 'user', outcome: 'ok' },
      { realm: 'main', audience: 'staff', outcome: 'invalid_credentials' },
      { realm: 'other', audience: 'user', outcome: 'ok' },
    ];
    values.forEach((value, i) => {
      const labels = series[i % series.length]!;
      m.referenceHistogram.observe(labels, value);
      m.hotHistogram.observe(labels, value);
      m.referenceCounter.inc({ realm: labels.realm, outcome: labels.outcome });
      m.hotCounter.inc({ realm: labels.realm, outcome: labels.outcome });
    });
    const scraped = await m.hot.metrics();
    expect(scraped).toBe(await m.reference.metrics());
    expect(scraped).toContain('loginshare_login_duration_seconds_bucket{le="+Inf",realm="main",audience="user",outcome="ok"} 4');
    expect(scraped).toContain('loginshare_logins_total{realm="main",outcome="ok"} 4');
  });

  it('counts keep adding up across scrapes', async () => {
    const m = pair();
    for (const round of [3, 5]) {
      for (let i = 0; i < round; i++) {
        m.referenceCounter.inc({ realm: 'main', outcome: 'ok' });
        m.hotCounter.inc({ realm: 'main', outcome: 'ok' });
        m.referenceHistogram.observe({ realm: 'main', audience: 'user', outcome: 'ok' }, 0.02 * i);
        m.hotHistogram.observe({ realm: 'main', audience: 'user', outcome: 'ok' }, 0.02 * i);
      }
      expect(await m.hot.metrics()).toBe(await m.reference.metrics());
    }
    expect(await m.hot.metrics()).toContain('loginshare_logins_total{realm="main",outcome="ok"} 8');
  });

  it('a label set is the same series however its object was built', async () => {
    const m = pair();
    m.hotCounter.inc({ outcome: 'ok', realm: 'main' } as { realm: string; outcome: string });
    m.hotCounter.inc({ realm: 'main', outcome: 'ok' });
    expect(await m.hot.metrics()).toContain('loginshare_logins_total{realm="main",outcome="ok"} 2');
  });

  it('an impossible duration is not recorded, and does not throw into a login', async () => {
    const m = pair();
    expect(() => m.hotHistogram.observe({ realm: 'main', audience: 'user', outcome: 'ok' }, Number.NaN)).not.toThrow();
    expect(await m.hot.metrics()).not.toContain('loginshare_login_duration_seconds_count');
  });

  it('resets with the registry', async () => {
    const m = pair();
    m.hotHistogram.observe({ realm: 'main', audience: 'user', outcome: 'ok' }, 0.2);
    m.hot.resetMetrics();
    expect(await m.hot.metrics()).not.toContain('loginshare_login_duration_seconds_count');
  });
});
