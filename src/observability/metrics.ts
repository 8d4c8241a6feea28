import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BUILD_INFO } from './build-info.js';
import { HotCounter, HotHistogram } from './hot-metrics.js';

/**
 * Prometheus metrics. Labels are low-cardinality by design: realm, audience, connector, outcome — never a
 * username, an address or a rule's free text. The three recorded on every login are counted in plain fields and
 * handed over at scrape time (hot-metrics.ts).
 */
export interface BridgeMetrics {
  registry: Registry;
  logins: HotCounter<'realm' | 'audience' | 'connector' | 'outcome'>;
  loginDuration: HotHistogram<'realm' | 'audience' | 'outcome'>;
  upstreamDuration: HotHistogram<'connector' | 'outcome'>;
  groupCache: Counter<'result'>;
  cacheDegraded: Counter<'store'>;
  lockouts: Counter<'realm'>;
  rateLimited: Counter<'realm' | 'scope'>;
  callerRefused: Counter<'realm' | 'reason'>;
  rulesReloads: Counter<'realm' | 'result'>;
  rulesVersion: Gauge<'realm' | 'version'>;
  circuitState: Gauge<'connector'>;
  buildInfo: Gauge<'version' | 'node'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): BridgeMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'loginshare_' });
  const registers = [registry];
  // Constant 1 with the version as labels (the Prometheus *_build_info convention): dashboards join on it to
  // see which version each replica runs during a rollout.
  const buildInfo = new Gauge({
    name: 'loginshare_build_info',
    help: 'The running bridge: its version and the Node.js version, value 1',
    labelNames: ['version', 'node'],
    registers,
  });
  buildInfo.set({ version: BUILD_INFO.version, node: BUILD_INFO.node }, 1);
  return {
    buildInfo,
    registry,
    logins: new HotCounter({
      name: 'loginshare_logins_total',
      help: 'LoginShare logins by realm, audience, connector and outcome',
      labelNames: ['realm', 'audience', 'connector', 'outcome'],
      registers,
    }),
    loginDuration: new HotHistogram({
      name: 'loginshare_login_duration_seconds',
      help: 'End-to-end time to answer a LoginShare POST',
      labelNames: ['realm', 'audience', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    upstreamDuration: new HotHistogram({
      name: 'loginshare_upstream_duration_seconds',
      help: 'Time spent in a connector (IdP round trips, group lookups)',
      labelNames: ['connector', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    groupCache: new Counter({
      name: 'loginshare_group_cache_total',
      help: 'Group lookups answered from the cache (hit) or upstream (miss)',
      labelNames: ['result'],
      registers,
    }),
    cacheDegraded: new Counter({
      name: 'loginshare_cache_degraded_total',
      help: 'Cache operations that fell back to memory because the shared store failed',
      labelNames: ['store'],
      registers,
    }),
    lockouts: new Counter({
      name: 'loginshare_lockouts_total',
      help: 'Usernames locked after too many failed logins',
      labelNames: ['realm'],
      registers,
    }),
    rateLimited: new Counter({
      name: 'loginshare_rate_limited_total',
      help: 'Logins refused by the rate limiter',
      labelNames: ['realm', 'scope'],
      registers,
    }),
    callerRefused: new Counter({
      name: 'loginshare_caller_refused_total',
      help: 'LoginShare POSTs refused because the caller is not the configured Kayako',
      labelNames: ['realm', 'reason'],
      registers,
    }),
    rulesReloads: new Counter({
      name: 'loginshare_rules_reloads_total',
      help: 'Rules file reloads by result (ok, failed)',
      labelNames: ['realm', 'result'],
      registers,
    }),
    circuitState: new Gauge({
      name: 'loginshare_circuit_state',
      help: 'Circuit breaker per connector: 0 closed (normal), 1 half-open (trying), 2 open (failing fast)',
      labelNames: ['connector'],
      registers,
    }),
    rulesVersion: new Gauge({
      name: 'loginshare_rules_info',
      help: 'The loaded rules file version (short content hash), value 1',
      labelNames: ['realm', 'version'],
      registers,
    }),
  };
}
