import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import type { IdentityLog } from '../identity-log/identity-log.js';
import type { RuleSet } from '../rules/index.js';

export interface RealmAdminDeps {
  /** `ops.adminToken`. */
  token: string;
  /** The rules in force for a realm id, or undefined for an unknown realm. */
  rulesOf(realmId: string): RuleSet | undefined;
  /** Absent when `identityLog.enabled` is false. */
  identityLog?: IdentityLog | undefined;
}

/**
 * What `loginshare-bridge diff --live` reads from a running bridge, on the ops port behind `ops.adminToken`
 * (Hono's bearer-auth compares it in constant time): the rules a realm has in force, and its identity log.
 * Mounted at /admin/realms.
 */
export function createRealmAdminApp(deps: RealmAdminDeps): Hono {
  const app = new Hono();
  app.use('*', bearerAuth({ token: deps.token }));

  app.get('/:realm/rules', (c) => {
    const rules = deps.rulesOf(c.req.param('realm'));
    if (!rules) return c.json({ error: `no realm "${c.req.param('realm')}"` }, 404);
    if (rules.text === undefined) return c.json({ error: 'the rules text is not available' }, 500);
    return c.body(rules.text, 200, { 'content-type': 'application/yaml; charset=utf-8', 'x-rules-version': rules.version, 'x-rules-file': rules.file });
  });

  app.get('/:realm/identities', async (c) => {
    const realmId = c.req.param('realm');
    if (!deps.rulesOf(realmId)) return c.json({ error: `no realm "${realmId}"` }, 404);
    if (!deps.identityLog) return c.json({ error: 'the identity log is off (identityLog.enabled: false)' }, 404);
    const entries = await deps.identityLog.entries(realmId);
    return c.body(entries.map((e) => `${JSON.stringify(e)}\n`).join(''), 200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
  });
  return app;
}
