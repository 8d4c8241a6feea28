import { Readable } from 'node:stream';
import type { CliCommand } from '../../src/cli/cli-io.js';

/** Runs a CLI command in-process with captured output and a given stdin. */
export async function runCli(command: CliCommand, args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await command(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(options.stdin !== undefined ? [options.stdin] : []),
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}
