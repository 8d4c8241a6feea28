import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { AdmissionVerdict, CacheEntry, KeyValueCache } from './cache.js';

const ADMITTED: AdmissionVerdict = { kind: 'admitted' };
const HELD: AdmissionVerdict = { kind: 'held' };

export interface RedisCacheConfig {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** Overrides a password in the URL (keeps the secret out of the URL in config files). */
  password?: string;
  /** Prepended to every key, so the bridge can share a Redis with other applications. Default `lsb:`. */
  keyPrefix?: string;
  /** Sentinel-managed Redis: the URL supplies credentials, db and TLS; the master's address comes from these. */
  sentinels?: { hosts: { host: string; port: number }[]; masterName: string; password?: string };
  /** Redis Cluster: seed nodes as `redis://host:port`; the URL supplies credentials and TLS. */
  cluster?: { nodes: string[] };
  /** Bound on establishing a connection. Default 2000. */
  connectTimeoutMs?: number;
  /** Bound on one command: a Redis that hangs must not hold a login. Default 1000. */
  commandTimeoutMs?: number;
}

interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
}

export function parseRedisUrl(url: string): RedisEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('cache.redis.url is not a URL (expected redis://host:port or rediss://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`cache.redis.url: unsupported scheme ${parsed.protocol} (expected redis: or rediss:)`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new Error('cache.redis.url: the path must be a database number');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined ? { db } : {}),
    tls: parsed.protocol === 'rediss:',
  };
}

/** How the client will connect: a pure function of the config, so it is testable without a Redis. */
export type RedisConnectionPlan =
  | { kind: 'standalone'; options: RedisOptions }
  | { kind: 'sentinel'; options: RedisOptions }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; options: ClusterOptions };

export function planRedisConnection(config: RedisCacheConfig): RedisConnectionPlan {
  const endpoint = parseRedisUrl(config.url);
  const password = config.password ?? endpoint.password;
  const connection: RedisOptions = {
    ...(endpoint.username ? { username: endpoint.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(endpoint.db !== undefined ? { db: endpoint.db } : {}),
    ...(endpoint.tls ? { tls: {} } : {}),
    connectTimeout: config.connectTimeoutMs ?? 2_000,
    commandTimeout: config.commandTimeoutMs ?? 1_000,
    // Fail fast instead of queueing while disconnected: the fail-open wrapper answers from memory,
    // and requests never pile up behind a dead Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Keep reconnecting in the background, so Redis is used again as soon as it is back.
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  };
  const keyPrefix = config.keyPrefix ?? 'lsb:';
  if (config.cluster) {
    const { db: _ignoredDb, ...redisOptions } = connection;
    return {
      kind: 'cluster',
      nodes: config.cluster.nodes.map((node) => {
        const { host, port } = parseRedisUrl(node);
        return { host, port };
      }),
      options: {
        keyPrefix,
        enableOfflineQueue: false,
        clusterRetryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
        redisOptions,
      },
    };
  }
  if (config.sentinels) {
    return {
      kind: 'sentinel',
      options: {
        ...connection,
        keyPrefix,
        sentinels: config.sentinels.hosts,
        name: config.sentinels.masterName,
        ...(config.sentinels.password !== undefined ? { sentinelPassword: config.sentinels.password } : {}),
        ...(endpoint.tls ? { enableTLSForSentinelMode: true } : {}),
      },
    };
  }
  return { kind: 'standalone', options: { ...connection, host: endpoint.host, port: endpoint.port, keyPrefix } };
}

// INCR, and start the window's expiry only if the key has none yet (the first increment, or a key left
// without TTL). One script, so a crash between the two commands cannot leave a counter that never expires.
const INCREMENT_IN_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

// The throttle's admit in one round trip, and atomic, so two replicas counting the same address at once both
// see the other's count. KEYS[1] is the hold (lockout) key; KEYS[2..] the counters; ARGV their window (ms) and
// limit, in pairs. Returns -1 while held, 0 when admitted, else the (1-based) counter that went over its limit.
// In a Cluster every key of one call must hash to one slot: the caller tags them (login-throttle.ts).
const ADMIT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
for i = 2, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i - 3]) end
  if count > tonumber(ARGV[2 * i - 2]) then return i - 1 end
end
return 0`;

// GET and DEL as one step (GETDEL needs Redis 6.2; a script works on every version and in a cluster).
const TAKE = `
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value`;

type RedisClient = (Redis | Cluster) & {
  lsbIncrementInWindow(key: string, windowMs: number): Promise<number>;
  lsbTake(key: string): Promise<string | null>;
  /** The number of keys first: the counters vary per call. */
  lsbAdmit(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
};

export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * The shared cache for several replicas. Every call either answers within the command timeout or
 * rejects; wrap it in createFailOpenCache so a rejection becomes a memory lookup, not a failed login.
 */
export function createRedisCache(config: RedisCacheConfig): KeyValueCache {
  const plan = planRedisConnection(config);
  const keyPrefix = config.keyPrefix ?? 'lsb:';
  const client = (plan.kind === 'cluster' ? new Cluster(plan.nodes, plan.options) : new Redis(plan.options)) as RedisClient;
  client.defineCommand('lsbIncrementInWindow', { numberOfKeys: 1, lua: INCREMENT_IN_WINDOW });
  client.defineCommand('lsbAdmit', { lua: ADMIT });
  client.defineCommand('lsbTake', { numberOfKeys: 1, lua: TAKE });
  // Connection errors are reported through the calls that fail; without a listener ioredis prints them.
  client.on('error', () => {});

  // Calls made before the first connection wait for it (bounded), so a freshly started bridge does not
  // fall back to memory for its first logins; later disconnections fail fast (no offline queue).
  const connectTimeoutMs = config.connectTimeoutMs ?? 2_000;
  let firstReady: Promise<void> | undefined = new Promise<void>((resolve) => client.once('ready', () => resolve()));
  void firstReady.then(() => {
    firstReady = undefined;
  });

  async function connected(): Promise<void> {
    if (firstReady === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`Redis not connected within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    });
    try {
      await Promise.race([firstReady, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function call<T>(command: () => Promise<T>): Promise<T> {
    await connected();
    try {
      return await command();
    } catch (err) {
      throw new RedisUnavailableError(`Redis: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  return {
    kind: 'redis',
    async get(key) {
      const value = await call(() => client.get(key));
      return value ?? undefined;
    },
    async set(key, value, ttlMs) {
      await call(() => client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
    },
    async delete(key) {
      await call(() => client.del(key));
    },
    async take(key) {
      return (await call(() => client.lsbTake(key))) ?? undefined;
    },
    async increment(key, windowMs) {
      return call(() => client.lsbIncrementInWindow(key, Math.max(1, Math.ceil(windowMs))));
    },
    async admit({ holdKey, counters }) {
      const keys = [holdKey, ...counters.map((counter) => counter.key)];
      const args = counters.flatMap((counter) => [Math.max(1, Math.ceil(counter.windowMs)), counter.limit]);
      const answer = await call(() => client.lsbAdmit(keys.length, ...keys, ...args));
      if (answer === -1) return HELD;
      if (answer === 0) return ADMITTED;
      return { kind: 'over_limit', counter: answer - 1 };
    },
    async list(prefix) {
      // SCAN (never KEYS, which blocks Redis) on every master; ioredis's keyPrefix is not applied to a MATCH
      // pattern, so the pattern carries it and the keys found are read back without it.
      const pattern = `${globEscape(keyPrefix)}${globEscape(prefix)}*`;
      const scanners = client instanceof Cluster ? client.nodes('master') : [client];
      const keys = new Set<string>();
      await call(async () => {
        for (const node of scanners) {
          for await (const batch of node.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
            for (const key of batch) keys.add(key.slice(keyPrefix.length));
          }
        }
      });
      const found: CacheEntry[] = [];
      for (const key of keys) {
        const [value, ttl] = await call(() => Promise.all([client.get(key), client.pttl(key)]));
        if (value !== null) found.push({ key, value, ttlMs: ttl > 0 ? ttl : undefined });
      }
      return found;
    },
    async ping() {
      await call(() => client.ping());
    },
    async close() {
      if (client.status === 'ready') {
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
    },
  };
}

/** A literal string inside a Redis glob pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
