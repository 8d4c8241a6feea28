import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freeLoopbackPort } from './free-port.js';
import { spawnServer, waitUntilReady } from './server-process.js';
import { makeServerDir, removeServerDir } from './temp-dir.js';

/** Where a test reaches the Redis the harness started; serializable, so global setup can `provide` it. */
export interface RedisServerInfo {
  /** `redis://:password@127.0.0.1:port` */
  url: string;
  host: string;
  port: number;
  password: string;
}

export interface RedisServer extends RedisServerInfo {
  readonly info: RedisServerInfo;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Reuse a port, e.g. to bring a stopped Redis back where its clients expect it. Default: a free one. */
  port?: number;
  /** Default: a random one. */
  password?: string;
  startTimeoutMs?: number;
  /** More `redis-server` options, e.g. `--replicaof` or `--cluster-enabled yes` (test/support/servers/redis-*.ts). */
  extraArgs?: string[];
}

/** Starts `redis-server` on 127.0.0.1 with a password and no persistence, in a temp dir of its own. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const host = '127.0.0.1';
  const port = options.port ?? (await freeLoopbackPort());
  const password = options.password ?? randomBytes(12).toString('hex');
  const dir = await makeServerDir('redis');
  const server = spawnServer({
    name: 'redis-server',
    command: process.env.LSB_REDIS_SERVER ?? 'redis-server',
    // Everything on the command line: no config file, nothing written to disk, loopback only.
    args: [
      '--bind', host, '--port', String(port), '--requirepass', password,
      '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice', '--logfile', '',
      ...(options.extraArgs ?? []),
    ],
    logFile: join(dir, 'redis.log'),
  });
  try {
    await waitUntilReady(server, () => answersPing(host, port, password), options.startTimeoutMs ?? 20_000, 100);
  } catch (err) {
    await server.stop(1_000);
    await removeServerDir(dir);
    throw err;
  }
  const info: RedisServerInfo = { url: `redis://:${password}@${host}:${port}`, host, port, password };
  return {
    ...info,
    info,
    async stop() {
      await server.stop();
      await removeServerDir(dir);
    },
  };
}

/** True once the server answers PING after AUTH: a plain socket, so readiness needs no client library. */
function answersPing(host: string, port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('+PONG')) finish(true);
      else if (reply.includes('-')) finish(false);
    });
  });
}
