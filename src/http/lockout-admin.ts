import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import type { Logger } from 'pino';
import type { Lockout, LoginThrottle } from '../security/login-throttle.js';

/**
 * Operators' lockout commands on the ops port, behind their own bearer token (`ops.adminToken`): health and
 * metrics are for the cluster's kubelet and Prometheus, clearing a lockout is for a person on call.
 *   GET  /admin/lockouts[?realm=ID]                  who is locked now
 *   POST /admin/unlock  {"realm": ID, "username": U}  clears that lockout (and the failures counted towards the next)
 * Each call writes an audit line. With Redis the lockouts are the replicas' shared ones; without it, this
 * replica's own.
 */
export interface LockoutAdminDeps {
  token: string;
  throttle: LoginThrottle;
  realmIds: ReadonlySet<string>;
  audit: Logger;
}

export function lockoutJson(lockout: Lockout): { realm: string; username: string | null; lockedUntil: string } {
  return { realm: lockout.realmId, username: lockout.username ?? null, lockedUntil: lockout.lockedUntil.toISOString() };
}

export function createLockoutAdminApp(deps: LockoutAdminDeps): Hono {
  const app = new Hono();
  // hono's bearerAuth compares the token in constant time and answers 401 with WWW-Authenticate.
  app.use('*', bearerAuth({ token: deps.token }));

  app.get('/lockouts', async (c) => {
    const realm = c.req.query('realm');
    if (realm !== undefined && !deps.realmIds.has(realm)) return c.json({ error: `no realm with id "${realm}"` }, 404);
    const lockouts = await deps.throttle.lockouts(realm);
    deps.audit.info({ event: 'lockouts_listed', via: 'ops-api', realm: realm ?? null, count: lockouts.length }, 'lockouts listed');
    return c.json({ lockouts: lockouts.map(lockoutJson) });
  });

  app.post('/unlock', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { realm?: unknown; username?: unknown } | undefined;
    const realm = body?.realm;
    const username = body?.username;
    if (typeof realm !== 'string' || typeof username !== 'string' || username.trim() === '') {
      return c.json({ error: 'send JSON {"realm": "<realm id>", "username": "<username>"}' }, 400);
    }
    if (!deps.realmIds.has(realm)) return c.json({ error: `no realm with id "${realm}"` }, 404);
    const wasLocked = await deps.throttle.unlock(realm, username);
    deps.audit.info({ event: 'unlock', via: 'ops-api', realm, username, wasLocked }, wasLocked ? 'lockout cleared' : 'unlock asked for a username that was not locked');
    return c.json({ realm, username, wasLocked });
  });
  return app;
}
