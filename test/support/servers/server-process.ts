import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A server the test harness started as a child process: its output goes to a log file (quoted when it
 * fails to start), it is stopped with SIGTERM then SIGKILL, and it never outlives the test run.
 */
export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves once the process has exited (immediately if it already has). */
  exited(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the log, for error messages. */
  logTail(lines?: number): Promise<string>;
}

export interface SpawnServerOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const running = new Set<ChildProcess>();
// A crashed or interrupted run must not leave redis-server, slapd or a JVM behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class ServerStartError extends Error {
  readonly code = 'SERVER_START_FAILED';
  constructor(
    readonly server: string,
    message: string,
  ) {
    super(`${server}: ${message}`);
    this.name = 'ServerStartError';
  }
}

export function spawnServer(options: SpawnServerOptions): ServerProcess {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exit = new Promise<void>((resolve) => {
    const done = (): void => {
      running.delete(child);
      log.end();
      resolve();
    };
    child.once('exit', done);
    // spawn failures (ENOENT) emit 'error' and no 'exit'.
    child.once('error', (err) => {
      log.write(`\n[harness] could not run ${options.command}: ${err.message}\n`);
      done();
    });
  });
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null || !running.has(child);

  return {
    name: options.name,
    child,
    logFile: options.logFile,
    exited: () => exit,
    async stop(graceMs = 10_000) {
      if (hasExited()) return exit;
      child.kill('SIGTERM');
      // The grace timer is cancelled once the process exits, or it would hold the test run open.
      const grace = new AbortController();
      const stopped = await Promise.race([
        exit.then(() => true),
        sleep(graceMs, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      if (!stopped) {
        child.kill('SIGKILL');
        await exit;
      }
    },
    async logTail(lines = 40) {
      const text = await readFile(options.logFile, 'utf8').catch(() => '');
      return text.split('\n').slice(-lines).join('\n');
    },
  };
}

/**
 * Polls `isReady` until it resolves true. Fails early if the process exits, and after `timeoutMs`;
 * either way the error quotes the server's log so a CI failure explains itself.
 */
export async function waitUntilReady(
  server: ServerProcess,
  isReady: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited().then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) {
      throw new ServerStartError(server.name, `exited before it was ready. Log ${server.logFile}:\n${await server.logTail()}`);
    }
    if (await isReady().catch(() => false)) return;
    await sleep(intervalMs);
  }
  await server.stop(2_000);
  throw new ServerStartError(
    server.name,
    `not ready after ${Math.round(timeoutMs / 1000)} s. Log ${server.logFile}:\n${await server.logTail()}`,
  );
}
