import { parseArgs } from 'node:util';
import { createBridge } from '../bridge.js';
import { loadConfig, type BridgeConfig } from '../config/load-config.js';
import { assertRulesFilesReadable } from '../config/rules-files.js';
import type { CliCommand, CliIO } from './cli-io.js';
import { describe } from './check.js';
import { resolveConfigPath } from './config-path.js';
import { tuneV8ForServing } from '../runtime/v8-tuning.js';

const HELP = `Usage: loginshare-bridge serve [--config FILE]

Starts the LoginShare gateway (server.port, default 8080) and the health and
metrics port (ops.port, default 9090). The config file comes from --config or
LOGINSHARE_CONFIG; without either, the embedded demo (local accounts, example
rules, no network) starts and prints a curl command that logs in.
Stops cleanly on SIGTERM / SIGINT.
`;

export const runServe: CliCommand = async (args, io) => {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const { path, demo } = resolveConfigPath(values.config, io.env);
  let config: BridgeConfig;
  try {
    config = await loadConfig(path, io.env);
    await assertRulesFilesReadable(config);
  } catch (err) {
    io.stderr.write(`loginshare-bridge: cannot start, the configuration is invalid:\n${describe(err)}\n`);
    return 1;
  }
  tuneV8ForServing();
  let bridge: Awaited<ReturnType<typeof createBridge>>;
  let ports: { port: number; opsPort: number | undefined };
  try {
    bridge = await createBridge(config);
    ports = await bridge.listen();
  } catch (err) {
    io.stderr.write(`loginshare-bridge: cannot start: ${describe(err)}\n`);
    return 1;
  }
  if (demo) printDemoBanner(io, config, ports.port);

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      bridge.log.info({ signal }, 'shutting down');
      void bridge.close().then(() => resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
};

function printDemoBanner(io: CliIO, config: BridgeConfig, port: number): void {
  const realm = config.realms[0]!;
  const base = `http://127.0.0.1:${port}/loginshare/${realm.id}`;
  io.stderr.write(`
  loginshare-bridge is running the embedded DEMO (local accounts, example rules; not for production).

  Log in as a support-center user, as Kayako would:
    curl -s -X POST '${base}/user?key=${realm.secret}' \\
         --data-urlencode username=alice --data-urlencode password=alice-demo-password --data ipaddress=203.0.113.7

  Log in as staff (interface=staff):
    curl -s -X POST '${base}/staff?key=${realm.secret}' \\
         --data-urlencode username=sam --data-urlencode password=sam-demo-password --data interface=staff --data ipaddress=203.0.113.7

  Kayako settings: User LoginShare URL  ${base}/user?key=…
                   Staff LoginShare URL ${base}/staff?key=…
  Health: http://127.0.0.1:${config.ops.port}/readyz   Metrics: http://127.0.0.1:${config.ops.port}/metrics

`);
}
