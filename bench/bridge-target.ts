import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// Only the bridge's public start path (what `loginshare-bridge serve` does): load the config, build, listen. The
// rest is reached the way an operator reaches it, over the ops port, so the bench survives changes inside src/.
import { createBridge } from '../src/bridge.js';
import { loadConfig } from '../src/config/load-config.js';
import { tuneV8ForServing } from '../src/runtime/v8-tuning.js';
import { serveCommands } from './ipc.js';
import { statsHandlers, type StatsCommands } from './process-stats.js';
import { bridgeConfigYaml, BENCH_RULES_YAML, type BridgeTargetOptions } from './bridge-config.js';

/**
 * Target C: the bridge itself, built by `createBridge` from a config file like an operator's — break-glass local
 * accounts first, then the OIDC connector (explicit endpoints, ID-token signature checked), the caller guard
 * (realm secret + allowFrom), a rules file, the audit log to a file, Prometheus metrics with process metrics —
 * and the V8 setting `loginshare-bridge serve` runs with (src/runtime/v8-tuning.ts). Its operational log goes
 * to stdout, which the orchestrator points at a file in the scratch directory.
 * Usage: bridge-target.js '<BridgeTargetOptions as JSON>'
 */
export interface BridgeCommands extends StatsCommands {
  groupCache: { args: null; result: { hit: number; miss: number } };
  scrape: { args: null; result: number };
}

tuneV8ForServing();
const options = JSON.parse(process.argv[2] ?? '{}') as BridgeTargetOptions;
await writeFile(join(options.dir, 'rules.yaml'), BENCH_RULES_YAML);
const configFile = join(options.dir, options.redisUrl ? 'config-redis.yaml' : 'config.yaml');
await writeFile(configFile, bridgeConfigYaml(options));
// The LDAP service password reaches the config as an operator's would: through the environment.
const config = await loadConfig(configFile, options.ldap ? { BENCH_LDAP_PASSWORD: options.ldap.bindPassword } : {});
const bridge = await createBridge(config);
const { port, opsPort } = await bridge.listen();
// Readiness includes the connector's prepare(): with explicit endpoints it needs no network round trip.
const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
if (ready.status !== 200) throw new Error(`bridge not ready: ${ready.status} ${await ready.text()}`);

/** The sum of one labelled series of a counter in the Prometheus exposition. */
function counterValue(exposition: string, name: string, label: string): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(label)) total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}

serveCommands<BridgeCommands>(
  { port, opsPort },
  {
    ...statsHandlers(),
    async groupCache() {
      const exposition = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      const count = (result: string) => counterValue(exposition, 'loginshare_group_cache_total', `result="${result}"`);
      return { hit: count('hit'), miss: count('miss') };
    },
    /** One Prometheus scrape, as a monitoring system would do during load; returns the body size. */
    async scrape() {
      const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
      return (await res.text()).length;
    },
  },
);

