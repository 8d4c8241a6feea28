import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { ReadinessMonitor } from '../observability/readiness.js';

export type { ReadinessCheck } from '../observability/readiness.js';

/**
 * Health and metrics, on their own port so the LoginShare port can be exposed to Kayako alone and the
 * ops port to the cluster's kubelet and Prometheus.
 */
export function createOpsApp(deps: { registry: Registry; readiness: Pick<ReadinessMonitor, 'report'>; admin?: Hono | undefined }): Hono {
  const app = new Hono();

  // Alive = the event loop answers. Deliberately checks nothing upstream: an IdP outage must not restart pods.
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // The last results of the checks that run in the background (observability/readiness.ts): never waits upstream.
  app.get('/readyz', (c) => {
    const { status, ready, checks, ageMs } = deps.readiness.report();
    return c.json({ status, checks, ageMs }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => c.body(await deps.registry.metrics(), 200, { 'content-type': deps.registry.contentType }));
  // Operators' commands (http/lockout-admin.ts), only when ops.adminToken is set.
  if (deps.admin) app.route('/admin', deps.admin);
  return app;
}
