/** What a CLI command may touch, passed in so tests can run commands in-process. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

/** Every sub-command has this shape: arguments after the command name in, exit code out. */
export type CliCommand = (args: string[], io: CliIO) => Promise<number>;

export const processIO: CliIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
};

/**
 * `loginshare-bridge lockouts | head`: once the reader has gone, the rest of the output has nowhere to go; end
 * quietly, as Unix tools do, instead of a stack trace for the EPIPE. Any other write error still surfaces.
 */
export function endQuietlyOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
}

/** node:util parseArgs's errors, said the way the rest of the command line speaks, with where to look. */
export function usageErrorText(command: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  const help = `(loginshare-bridge ${command} --help lists what it takes)`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option ${quoted} ${help}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) return `${quoted.replace(/ <value>$/, '')} needs a value ${help}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted) return `unexpected argument "${quoted}" ${help}`;
  return message;
}
