import type { TestProject } from 'vitest/node';
import { selectServers } from './server-selection.js';
import { startChromium } from './servers/chromium.js';
import { startKeycloak } from './servers/keycloak.js';
import { startRedis } from './servers/redis.js';
import { startSlapd } from './servers/slapd.js';
import { SERVER_NAMES, type ServerInfos, type ServerName, type TestServers } from './test-servers.js';

/**
 * Starts the real servers the integration and e2e suites use (redis-server, slapd, Keycloak), once per
 * `vitest run`, in parallel, on free 127.0.0.1 ports, and stops them when the run ends. Tests reach them
 * with `serverInfo` / `requireServer` / `describeWithServer` from test/support/require-server.ts.
 *
 *   LSB_TEST_SERVERS        `all`, `none`, or a comma list (`redis,slapd`). Unset: all for a full run; for
 *                           `npx vitest run <files>`, only those the selected files ask for (see
 *                           server-selection.ts), so a unit-test run does not wait 30-90 s for Keycloak.
 *   CI=true                 every selected server must start or the run fails, and a test that needs a
 *                           server that is not running fails instead of skipping. Without CI, a server
 *                           that cannot start is skipped with a loud banner, and so are its tests.
 *   LSB_KEEP_SERVER_DIRS=1  keep each server's temp dir (config, data, log) after the run.
 *
 * scripts/install-test-deps.sh installs the servers.
 */

interface StartedServer<K extends ServerName> {
  info: ServerInfos[K];
  stop(): Promise<void>;
}
type Starters = { [K in ServerName]: () => Promise<StartedServer<K>> };

const starters: Starters = {
  redis: () => startRedis(),
  slapd: () => startSlapd(),
  keycloak: () => startKeycloak(),
  chromium: () => startChromium(),
};

/**
 * A free port is only free until someone takes it; Keycloak binds 30 s after the port was picked. A start
 * that failed on a port clash is retried once on new ports.
 */
async function start<K extends ServerName>(name: K): Promise<StartedServer<K>> {
  const starter = starters[name] as () => Promise<StartedServer<K>>;
  try {
    return await starter();
  } catch (err) {
    if (!(err instanceof Error) || !/address already in use/i.test(err.message)) throw err;
    console.warn(`[global-setup] ${name}: port taken while it started; retrying on new ports`);
    return starter();
  }
}

function loud(lines: string[]): void {
  const bar = '!'.repeat(78);
  console.warn(['', bar, ...lines.map((line) => `!! ${line}`), bar, ''].join('\n'));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const strict = process.env.CI === 'true';
  // vitest keeps the CLI file filters on an internal field; without it every server starts, which is safe.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { selected, notSelected } = await selectServers({
    setting: process.env.LSB_TEST_SERVERS,
    filters,
    selectedTestFiles: async () => (await project.globTestFiles(filters)).testFiles,
  });
  const servers: TestServers = { running: {}, unavailable: { ...notSelected }, strict };

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(stops.map((stop) => stop()));
  };
  const failures: { name: ServerName; reason: string }[] = [];
  await Promise.all(
    selected.map(async (name) => {
      const startedAt = Date.now();
      try {
        const server = await start(name);
        stops.push(() => server.stop());
        (servers.running as Record<ServerName, unknown>)[name] = server.info;
        console.info(`[global-setup] ${name} ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        servers.unavailable[name] = `failed to start: ${reason.split('\n')[0]}`;
        failures.push({ name, reason });
      }
    }),
  );

  if (failures.length > 0) {
    if (strict) {
      await stopAll();
      throw new Error(`CI=true and real test servers failed to start:\n${failures.map((f) => f.reason).join('\n\n')}`);
    }
    loud([
      `SKIPPING every test that needs: ${failures.map((f) => f.name).join(', ')}`,
      ...failures.map((f) => f.reason.split('\n')[0] ?? f.name),
      'Install with: sudo bash scripts/install-test-deps.sh   (with CI=true this is a failure)',
    ]);
  }
  const skipped = SERVER_NAMES.filter((name) => notSelected[name] !== undefined);
  if (skipped.length > 0) loud(skipped.map((name) => `not starting ${name}: ${notSelected[name]}`));

  project.provide('lsbServers', servers);
  return stopAll;
}
