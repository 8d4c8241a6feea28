import { BUILD_INFO } from '../observability/build-info.js';
import type { CliCommand } from './cli-io.js';

const HELP = `Usage: loginshare-bridge version [--json]
       loginshare-bridge --version

Prints the bridge's version and the Node.js version it runs on.
`;

export const runVersion: CliCommand = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(HELP);
    return 0;
  }
  const unknown = args.filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    io.stderr.write(`loginshare-bridge version: unknown argument "${unknown[0]}"\n\n${HELP}`);
    return 2;
  }
  if (args.includes('--json')) io.stdout.write(`${JSON.stringify(BUILD_INFO)}\n`);
  else io.stdout.write(`loginshare-bridge ${BUILD_INFO.version} (node ${BUILD_INFO.node})\n`);
  return 0;
};
