import { describe, inject, it, type TestContext } from 'vitest';
import type { ServerInfos, ServerName, TestServers } from './test-servers.js';

/**
 * How a test reaches a real server started by global setup. On a laptop a server that is not running
 * makes its tests skip (global setup already said loudly which and why); with CI=true they fail.
 */
function testServers(): TestServers {
  // Undefined when vitest runs without test/support/global-setup.ts (a custom config).
  return inject('lsbServers') ?? { running: {}, unavailable: {}, strict: process.env.CI === 'true' };
}

function whyUnavailable(servers: TestServers, name: ServerName): string {
  return servers.unavailable[name] ?? 'not started by test/support/global-setup.ts';
}

/** The server's coordinates, or undefined if it is not running. Throws under CI=true when it is not. */
export function serverInfo<K extends ServerName>(name: K): ServerInfos[K] | undefined {
  const servers = testServers();
  const info = servers.running[name] as ServerInfos[K] | undefined;
  if (info === undefined && servers.strict) {
    throw new Error(`CI=true and ${name} is not running (${whyUnavailable(servers, name)}): every real server must start in CI`);
  }
  return info;
}

/** Inside a test: the server's coordinates, or the test is skipped (fails under CI=true). */
export function requireServer<K extends ServerName>(name: K, ctx: Pick<TestContext, 'skip'>): ServerInfos[K] {
  const info = serverInfo(name);
  if (info === undefined) ctx.skip(`${name} not running: ${whyUnavailable(testServers(), name)}`);
  return info;
}

/**
 * A `describe` whose tests all need one server: the factory gets its coordinates. When the server is not
 * running the suite is reported as skipped with the reason (and fails under CI=true).
 */
export function describeWithServer<K extends ServerName>(
  name: K,
  title: string,
  factory: (server: ServerInfos[K]) => void,
): void {
  const info = serverInfo(name);
  if (info !== undefined) {
    describe(title, () => factory(info));
    return;
  }
  describe.skip(`${title} [${name} not running: ${whyUnavailable(testServers(), name)}]`, () => {
    it(`needs ${name}`, () => {});
  });
}
