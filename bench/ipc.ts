import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/**
 * The benchmark runs each party (IdP, targets, load generator) in its own process, so a target's CPU is not
 * the load generator's. The orchestrator drives them through Node's IPC channel: typed commands, one reply each.
 */
export type CommandMap<C> = { [K in keyof C]: { args: unknown; result: unknown } };

interface CommandMessage {
  id: number;
  cmd: string;
  args: unknown;
}

interface ReplyMessage {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface ReadyMessage {
  ready: true;
  info: Record<string, unknown>;
}

export type Handlers<C extends CommandMap<C>> = { [K in keyof C]: (args: C[K]['args']) => Promise<C[K]['result']> };

/** Child side: announces readiness with `info`, then answers commands until the parent goes away. */
export function serveCommands<C extends CommandMap<C>>(info: Record<string, unknown>, handlers: Handlers<C>): void {
  if (!process.send) throw new Error('this benchmark process must be started by bench/run.js (no IPC channel)');
  process.on('message', (message: CommandMessage) => {
    const handler = handlers[message.cmd as keyof C];
    const reply = (body: Omit<ReplyMessage, 'id'>): void => void process.send?.({ id: message.id, ...body });
    if (!handler) {
      reply({ ok: false, error: `unknown command ${message.cmd}` });
      return;
    }
    handler(message.args as C[keyof C]['args']).then(
      (value) => reply({ ok: true, value }),
      (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  // The orchestrator died or closed the channel: nothing of ours may outlive it.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, info } satisfies ReadyMessage);
}

export interface WorkerOptions {
  /** Pin the process (all its threads) to these CPUs with taskset, e.g. "1". */
  cpus?: string | undefined;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Append the child's stdout to this file instead of the orchestrator's terminal (a bridge's log lines). */
  stdoutFile?: string;
}

/** Parent side of one benchmark process. */
export class Worker<C extends CommandMap<C>> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private exited = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly info: Record<string, unknown>,
  ) {
    child.on('message', (message: ReplyMessage) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`${name}: ${message.error ?? 'failed'}`));
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  static async start<C extends CommandMap<C>>(name: string, script: string, args: string[], options: WorkerOptions = {}): Promise<Worker<C>> {
    const stdout = options.stdoutFile === undefined ? 'inherit' : openSync(options.stdoutFile, 'a');
    const child = fork(script, args, {
      execArgv: options.execArgv ?? [],
      env: options.env ?? process.env,
      stdio: ['ignore', stdout, 'inherit', 'ipc'],
    });
    if (typeof stdout === 'number') closeSync(stdout); // the child has its own copy
    const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not become ready`));
      }, options.readyTimeoutMs ?? 30_000);
      child.on('message', function onMessage(message: ReadyMessage | ReplyMessage) {
        if ('ready' in message) {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(message.info);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited before it was ready (${code ?? signal})`));
      });
    });
    if (options.cpus !== undefined && child.pid !== undefined) pinProcess(child.pid, options.cpus);
    return new Worker<C>(name, child, info);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  call<K extends keyof C & string>(cmd: K, args: C[K]['args']): Promise<C[K]['result']> {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, cmd, args } satisfies CommandMessage);
    });
  }

  /** Closes the channel (the child exits on disconnect) and kills it if it lingers. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** Whether `taskset` can pin processes here (util-linux; absent on macOS). */
export function canPin(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
