import { Hono } from 'hono';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  /**
   * A failing critical check takes the replica out of the load balancer (503). A non-critical one only marks
   * it `degraded` (200): an IdP or Redis outage hits every replica at once, and pulling them all would turn
   * a partial outage (break-glass accounts still work, caches fall back to memory) into a total one.
   */
  critical: boolean;
  /** Resolves when ready; rejects with the reason otherwise. */
  check(): Promise<void>;
}

/**
 * Health and metrics, on their own port so the LoginShare port can be exposed to Kayako alone and the
 * ops port to the cluster's kubelet and Prometheus.
 */
export function createOpsApp(deps: { registry: Registry; readiness: readonly ReadinessCheck[]; checkTimeoutMs?: number; admin?: Hono | undefined }): Hono {
  const app = new Hono();
  const timeoutMs = deps.checkTimeoutMs ?? 2_000;

  // Alive = the event loop answers. Deliberately checks nothing upstream: an IdP outage must not restart pods.
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      deps.readiness.map(async ({ name, check, critical }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return { name, critical, ok: true as const };
        } catch (err) {
          return { name, critical, ok: false as const, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ready = results.every((r) => r.ok || !r.critical);
    const status = !ready ? 'not ready' : results.every((r) => r.ok) ? 'ready' : 'degraded';
    return c.json({ status, checks: results }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => c.body(await deps.registry.metrics(), 200, { 'content-type': deps.registry.contentType }));
  // Operators' commands (http/lockout-admin.ts), only when ops.adminToken is set.
  if (deps.admin) app.route('/admin', deps.admin);
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
