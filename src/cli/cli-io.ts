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
