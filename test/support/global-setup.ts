import type { TestProject } from 'vitest/node';
import { startKeycloak } from './servers/keycloak.js';
import { startRedis } from './servers/redis.js';
import { startSlapd } from './servers/slapd.js';
import { SERVER_NAMES, type ServerInfos, type ServerName, type TestServers } from './test-servers.js';

/**
 * Starts the real servers the integration and e2e suites use, once per `vitest run`, in parallel, on free
 * loopback ports, and stops them when the run ends. Tests read their coordinates with
 * `serverInfo` / `requireServer` / `describeWithServer` from test/support/require-server.ts.
 *
 *   LSB_TEST_SERVERS   which servers to start: unset or `all` = redis,slapd,keycloak; `none`; or a
 *                      comma list such as `redis,slapd` (skips Keycloak's 30-90 s start for quick runs).
 *   CI=true            every selected server must start, or the run fails; a test needing a server that
 *                      was not selected fails too. Without CI a server that cannot start is skipped, loudly.
 *   LSB_KEEP_SERVER_DIRS=1  keep each server's temp dir (config, data, log) after the run.
 *
 * Install the servers with scripts/install-test-deps.sh.
 */

type Starters = { [K in ServerName]: () => Promise<{ info: ServerInfos[K]; stop(): Promise<void> }> };

const starters: Starters = {
  redis: () => startRedis(),
  slapd: () => startSlapd(),
  keycloak: () => startKeycloak(),
};

function selectedServers(setting: string | undefined): ServerName[] {
  const value = (setting ?? 'all').trim().toLowerCase();
  if (value === '' || value === 'all') return [...SERVER_NAMES];
  if (value === 'none') return [];
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(SERVER_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`LSB_TEST_SERVERS: unknown server(s) ${unknown.join(', ')}; use all, none or a list of ${SERVER_NAMES.join(', ')}`);
  }
  return names as ServerName[];
}

function loud(lines: string[]): void {
  const bar = '!'.repeat(78);
  console.warn(['', bar, ...lines.map((line) => `!! ${line}`), bar, ''].join('\n'));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const strict = process.env.CI === 'true';
  const selected = selectedServers(process.env.LSB_TEST_SERVERS);
  const servers: TestServers = { running: {}, unavailable: {}, strict };
  for (const name of SERVER_NAMES) {
    if (!selected.includes(name)) servers.unavailable[name] = `not selected (LSB_TEST_SERVERS=${process.env.LSB_TEST_SERVERS ?? ''})`;
  }

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(stops.map((stop) => stop()));
  };
  const failures: string[] = [];
  await Promise.all(
    selected.map(async (name) => {
      const startedAt = Date.now();
      try {
        const server = await starters[name]();
        stops.push(() => server.stop());
        (servers.running as Record<ServerName, unknown>)[name] = server.info;
        console.info(`[global-setup] ${name} ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        servers.unavailable[name] = `failed to start: ${reason.split('\n')[0]}`;
        failures.push(`${name}: ${reason}`);
      }
    }),
  );

  if (failures.length > 0) {
    if (strict) {
      await stopAll();
      throw new Error(`CI=true and real test servers failed to start:\n${failures.join('\n')}`);
    }
    loud([
      `SKIPPING tests that need: ${failures.map((f) => f.slice(0, f.indexOf(':'))).join(', ')}`,
      ...failures.map((f) => f.split('\n')[0] ?? f),
      'Install them with: sudo bash scripts/install-test-deps.sh (CI=true makes this a failure).',
    ]);
  }
  const notSelected = SERVER_NAMES.filter((name) => !selected.includes(name));
  if (notSelected.length > 0) loud([`LSB_TEST_SERVERS: not starting ${notSelected.join(', ')}; tests that need them skip.`]);

  project.provide('lsbServers', servers);
  return stopAll;
}
