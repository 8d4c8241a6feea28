import { userInfo } from 'node:os';
import { request } from 'undici';
import type { Logger } from 'pino';
import { loadConfig } from '../config/load-config.js';
import { createAuditLogger, createLogger } from '../observability/logger.js';
import { logDestination } from '../observability/log-destination.js';
import { createLoginThrottle, type Lockout } from '../security/login-throttle.js';
import type { CliIO } from './cli-io.js';
import { resolveConfigPath } from './config-path.js';

/**
 * Where `unlock` and `lockouts` find the lockouts: the shared Redis the config names (every replica's), or a
 * running bridge's ops port (`--ops-url`, with LOGINSHARE_OPS_ADMIN_TOKEN), which is the only way to reach
 * lockouts held in a replica's memory.
 */
export interface LockoutAccess {
  /** Where the lockouts are, for the command's output. */
  where: string;
  list(realmId: string | undefined): Promise<Lockout[]>;
  unlock(realmId: string, username: string): Promise<boolean>;
  close(): Promise<void>;
}

export class LockoutAccessError extends Error {}

export const OPS_TOKEN_VARIABLE = 'LOGINSHARE_OPS_ADMIN_TOKEN';

export async function openLockoutAccess(flags: { config?: string | undefined; opsUrl?: string | undefined }, io: CliIO): Promise<LockoutAccess> {
  if (flags.opsUrl) return opsAccess(flags.opsUrl, io.env[OPS_TOKEN_VARIABLE]);
  const { path, demo } = resolveConfigPath(flags.config, io.env);
  if (demo) throw new LockoutAccessError('give --config FILE (or LOGINSHARE_CONFIG) naming the bridge\'s Redis, or --ops-url URL of a running bridge');
  const config = await loadConfig(path, io.env);
  if (!config.cache.redis) {
    throw new LockoutAccessError(
      `${config.file} has no cache.redis: each replica keeps its lockouts in its own memory. ` +
        `Ask the replica itself: --ops-url http://<replica>:${config.ops.port} with ${OPS_TOKEN_VARIABLE} set to its ops.adminToken`,
    );
  }
  const { createRedisCache } = await import('../cache/redis-cache.js');
  const cache = createRedisCache(config.cache.redis);
  const throttle = createLoginThrottle({ kind: 'shared', cache }, config.security);
  const realmIds = new Set(config.realms.map((r) => r.id));
  const checkRealm = (realmId: string | undefined) => {
    if (realmId !== undefined && !realmIds.has(realmId)) {
      throw new LockoutAccessError(`no realm with id "${realmId}" in ${config.file} (realms: ${[...realmIds].join(', ')})`);
    }
  };
  // The command's own output is on stdout: its audit line goes to stderr when the config's audit stream is stdout.
  const audit = cliAudit(config.log.audit === 'stdout' ? 'stderr' : config.log.audit);
  const by = operatorName();
  const where = `Redis ${redactedUrl(config.cache.redis.url)}`;
  // A Redis that does not answer is said with the config key that names it, not as a bare client error.
  const fromRedis = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof LockoutAccessError) throw err;
      throw new LockoutAccessError(`${where} (cache.redis in ${config.file}) did not answer: ${(err as Error).message}`);
    }
  };
  return {
    where,
    async list(realmId) {
      checkRealm(realmId);
      const lockouts = await fromRedis(() => throttle.lockouts(realmId));
      audit.info({ event: 'lockouts_listed', via: 'cli', by, realm: realmId ?? null, count: lockouts.length }, 'lockouts listed');
      return lockouts;
    },
    async unlock(realmId, username) {
      checkRealm(realmId);
      const wasLocked = await fromRedis(() => throttle.unlock(realmId, username));
      audit.info({ event: 'unlock', via: 'cli', by, realm: realmId, username, wasLocked }, wasLocked ? 'lockout cleared' : 'unlock asked for a username that was not locked');
      return wasLocked;
    },
    async close() {
      audit.flush?.();
      await cache.close();
    },
  };
}

function opsAccess(opsUrl: string, token: string | undefined): LockoutAccess {
  if (!token) throw new LockoutAccessError(`--ops-url needs the ops port's admin token in ${OPS_TOKEN_VARIABLE} (the bridge's ops.adminToken)`);
  let base: URL;
  try {
    base = new URL(opsUrl);
  } catch {
    throw new LockoutAccessError(`--ops-url ${opsUrl} is not a URL (expected http://host:9090)`);
  }
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> => {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(new URL(path, base), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
    } catch (err) {
      throw new LockoutAccessError(`${base.origin}: ${(err as Error).message}`);
    }
    const text = await response.body.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    if (response.statusCode === 401) throw new LockoutAccessError(`${base.origin} refused the token in ${OPS_TOKEN_VARIABLE} (401)`);
    if (response.statusCode === 404 && parsed['error'] === undefined) {
      throw new LockoutAccessError(`${base.origin} has no operators' endpoints: set ops.adminToken in its config`);
    }
    if (response.statusCode !== 200) throw new LockoutAccessError(`${base.origin}: ${String(parsed['error'] ?? `status ${response.statusCode}`)}`);
    return parsed;
  };
  return {
    where: `the bridge at ${base.origin}`,
    async list(realmId) {
      const answer = await call('GET', realmId === undefined ? '/admin/lockouts' : `/admin/lockouts?realm=${encodeURIComponent(realmId)}`);
      const rows = Array.isArray(answer['lockouts']) ? (answer['lockouts'] as Array<{ realm: string; username: string | null; lockedUntil: string }>) : [];
      return rows.map((row) => ({ realmId: row.realm, username: row.username ?? undefined, lockedUntil: new Date(row.lockedUntil) }));
    },
    async unlock(realmId, username) {
      const answer = await call('POST', '/admin/unlock', { realm: realmId, username });
      return answer['wasLocked'] === true;
    },
    close: async () => {},
  };
}

function cliAudit(target: string): Logger {
  return createAuditLogger(target, 'info', createLogger({ level: 'info', destination: logDestination({ dest: 2 }) }));
}

/** Who ran the command, for the audit line. */
function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'cache.redis.url';
  }
}
