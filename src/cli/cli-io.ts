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
