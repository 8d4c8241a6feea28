import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from './free-port.js';
import { startRedis, type RedisServer } from './redis.js';
import { spawnServer, waitUntilReady, type ServerProcess } from './server-process.js';
import { makeServerDir, removeServerDir } from './temp-dir.js';

/**
 * A Sentinel-managed Redis on loopback, as operators run it: a master, one replica, and three sentinels
 * (quorum 2) watching them. Master and replica need one password, the sentinels another. `failover()` stops the
 * master the way a crashed node goes away and waits until the sentinels have promoted the replica.
 */
export interface RedisSentinelSetup {
  masterName: string;
  password: string;
  /** Credentials for `cache.redis.url` (the sentinels supply the address). */
  url: string;
  sentinels: { host: string; port: number }[];
  /** What a client must send the sentinels (`cache.redis.sentinels.password`). */
  sentinelPassword: string;
  /** The master's port as the sentinels report it now. */
  masterPort(): Promise<number>;
  /** Stops the current master; resolves once the sentinels name the promoted replica, which answers as master. */
  failover(timeoutMs?: number): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const QUORUM = 2;

/** `redis-sentinel` from Debian's package; `redis-server --sentinel` is the same program where it is missing. */
function sentinelCommand(): { command: string; args: string[] } {
  const override = process.env.LSB_REDIS_SENTINEL;
  if (override) return { command: override, args: [] };
  const onPath = (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, 'redis-sentinel'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return onPath ? { command: 'redis-sentinel', args: [] } : { command: process.env.LSB_REDIS_SERVER ?? 'redis-server', args: ['--sentinel'] };
}

export async function startRedisSentinel(options: { masterName?: string; sentinelCount?: number } = {}): Promise<RedisSentinelSetup> {
  const masterName = options.masterName ?? 'lsb-master';
  const password = randomBytes(12).toString('hex');
  const sentinelPassword = randomBytes(12).toString('hex');
  const nodes: RedisServer[] = [];
  const sentinels: { child: ServerProcess; dir: string; port: number }[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(sentinels.map(async (s) => {
      await s.child.stop(2_000);
      await removeServerDir(s.dir);
    }));
    await Promise.allSettled(nodes.map((node) => node.stop()));
  };

  try {
    const master = await startRedis({ password, extraArgs: ['--masterauth', password] });
    nodes.push(master);
    const replica = await startRedis({ password, extraArgs: ['--masterauth', password, '--replicaof', HOST, String(master.port)] });
    nodes.push(replica);
    await waitFor(() => replicationUp(replica.port, password), 20_000, 'the replica to sync with the master');

    const { command, args } = sentinelCommand();
    for (let i = 0; i < (options.sentinelCount ?? 3); i++) {
      const port = await freeLoopbackPort();
      const dir = await makeServerDir('sentinel');
      const configFile = join(dir, 'sentinel.conf');
      // A file the sentinel may rewrite: it records the replicas and peers it discovers there.
      await writeFile(configFile, [
        `port ${port}`, `bind ${HOST}`, 'daemonize no', 'logfile ""', `dir ${dir}`,
        `sentinel monitor ${masterName} ${HOST} ${master.port} ${QUORUM}`,
        `sentinel auth-pass ${masterName} ${password}`,
        // Clients and the other sentinels need this one to talk to a sentinel.
        `requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`,
        // Short, so a test's failover takes seconds: the defaults (30 s down-after, 3 min failover) suit production.
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 10000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'));
      const child = spawnServer({ name: 'redis-sentinel', command, args: [configFile, ...args], logFile: join(dir, 'sentinel.log') });
      sentinels.push({ child, dir, port });
      await waitUntilReady(child, () => sentinelAnswers(port, sentinelPassword, masterName), 15_000, 100);
    }
    // Every sentinel must know its peers and the replica before a failover can reach a quorum.
    await waitFor(async () => {
      const views = await Promise.all(sentinels.map((s) => sentinelView(s.port, sentinelPassword, masterName)));
      return views.every((view) => view.peers >= sentinels.length - 1 && view.replicas >= 1);
    }, 30_000, 'the sentinels to discover each other and the replica');
  } catch (err) {
    await stopAll();
    throw err;
  }

  const masterPort = async (): Promise<number> => {
    for (const sentinel of sentinels) {
      const address = await sentinelQuery(sentinel.port, sentinelPassword, ['get-master-addr-by-name', masterName]).catch(() => undefined);
      if (Array.isArray(address) && address.length === 2) return Number(address[1]);
    }
    throw new Error('no sentinel names a master');
  };

  return {
    masterName,
    password,
    sentinelPassword,
    url: `redis://:${password}@${HOST}:6379`,
    sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
    masterPort,
    async failover(timeoutMs = 30_000) {
      const from = await masterPort();
      const old = nodes.find((node) => node.port === from);
      if (!old) throw new Error(`the master on port ${from} is not one this setup started`);
      await old.stop();
      let to = from;
      await waitFor(async () => {
        to = await masterPort().catch(() => from);
        return to !== from && (await role(to, password)) === 'master';
      }, timeoutMs, 'the sentinels to promote the replica');
      return { from, to };
    },
    stop: stopAll,
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
}

/** One short-lived connection per question: the setup must not hold clients open across a failover. */
async function ask<T>(port: number, password: string | undefined, question: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: HOST, port, ...(password ? { password } : {}), lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return await question(client);
  } finally {
    client.disconnect();
  }
}

function sentinelQuery(port: number, password: string, args: string[]): Promise<unknown> {
  return ask(port, password, (client) => client.call('SENTINEL', ...args));
}

async function sentinelAnswers(port: number, password: string, masterName: string): Promise<boolean> {
  return Array.isArray(await sentinelQuery(port, password, ['get-master-addr-by-name', masterName]));
}

async function sentinelView(port: number, password: string, masterName: string): Promise<{ peers: number; replicas: number }> {
  const peers = (await sentinelQuery(port, password, ['sentinels', masterName])) as unknown[];
  const replicas = (await sentinelQuery(port, password, ['replicas', masterName])) as unknown[];
  return { peers: peers.length, replicas: replicas.length };
}

async function replicationUp(port: number, password: string): Promise<boolean> {
  return ask(port, password, async (client) => /master_link_status:up/.test(await client.info('replication')));
}

async function role(port: number, password: string): Promise<string> {
  return ask(port, password, async (client) => String(((await client.call('ROLE')) as unknown[])[0]));
}
