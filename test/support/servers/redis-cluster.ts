import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from './free-port.js';
import { startRedis, type RedisServer } from './redis.js';

const run = promisify(execFile);

/**
 * A small Redis Cluster on loopback: `masters` redis-server nodes with `--cluster-enabled yes`, joined and given
 * every slot by `redis-cli --cluster create` (no replicas), all behind one password.
 */
export interface RedisClusterSetup {
  password: string;
  /** Credentials for `cache.redis.url` (the seed nodes supply the addresses). */
  url: string;
  /** Seed nodes for `cache.redis.cluster.nodes`. */
  nodeUrls: string[];
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startRedisCluster(options: { masters?: number } = {}): Promise<RedisClusterSetup> {
  const password = randomBytes(12).toString('hex');
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(servers.map((server) => server.stop()));
  };
  try {
    for (let i = 0; i < (options.masters ?? 3); i++) {
      // The cluster bus would default to port + 10000, which may be taken or above 65535: pick it too.
      const busPort = await freeLoopbackPort();
      servers.push(await startRedis({
        password,
        extraArgs: [
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort),
          '--cluster-node-timeout', '3000', '--masterauth', password,
        ],
      }));
    }
    await run(process.env.LSB_REDIS_CLI ?? 'redis-cli', [
      '-a', password, '--no-auth-warning', '--cluster', 'create', ...servers.map((s) => `${HOST}:${s.port}`),
      '--cluster-replicas', '0', '--cluster-yes',
    ], { timeout: 30_000 });
    await waitUntilClusterOk(servers.map((s) => s.port), password, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    password,
    url: `redis://:${password}@${HOST}:6379`,
    nodeUrls: servers.map((s) => `redis://${HOST}:${s.port}`),
    nodes: servers.map((s) => ({ host: HOST, port: s.port })),
    stop,
  };
}

/** Every node agrees the cluster is up: every slot served, every node known. */
async function waitUntilClusterOk(ports: number[], password: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const infos = await Promise.all(ports.map((port) => clusterInfo(port, password).catch((err: Error) => err.message)));
    last = infos.join(' | ');
    if (infos.every((info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${ports.length}\\b`).test(info))) return;
    await sleep(200);
  }
  throw new Error(`redis cluster not ok after ${Math.round(timeoutMs / 1000)} s: ${last.replace(/\s+/g, ' ').slice(0, 400)}`);
}

async function clusterInfo(port: number, password: string): Promise<string> {
  const client = new Redis({ host: HOST, port, password, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return String(await client.call('CLUSTER', 'INFO'));
  } finally {
    client.disconnect();
  }
}
