import { getConnInfo } from '@hono/node-server/conninfo';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import type { CallerRequest, CallerVerdict } from '../caller-guard.js';

export type CallerVariables = { callerAddress: string };
export type CallerEnv = { Bindings: HttpBindings; Variables: CallerVariables };

export interface CallerGuardOptions<E extends CallerEnv> {
  /** The guard for this request (per realm: each realm has its own secret and allowlist). */
  guardFor(c: Context<E>): (req: CallerRequest) => CallerVerdict;
  /** The answer to a refused caller. */
  onRefused(c: Context<E>, verdict: Extract<CallerVerdict, { ok: false }>): Response | Promise<Response>;
  /** The query parameter carrying the secret (`?key=…`). */
  keyParam?: string;
}

/**
 * Only Kayako may call a LoginShare URL (see `../caller-guard.ts` for the secret, the allowlist and the trusted
 * proxies). The TCP peer comes from `getConnInfo`; the resolved caller address is left in `c.var.callerAddress`
 * for the audit line. Runs before the body is read: a refused caller's body is never looked at.
 */
export function callerGuard<E extends CallerEnv>(options: CallerGuardOptions<E>): MiddlewareHandler<E> {
  const keyParam = options.keyParam ?? 'key';
  return async (c, next) => {
    const verdict = options.guardFor(c)({
      peerAddress: getConnInfo(c).remote.address ?? '',
      forwardedFor: c.req.header('x-forwarded-for'),
      keyParam: c.req.query(keyParam),
      authorization: c.req.header('authorization'),
    });
    c.set('callerAddress', verdict.callerAddress);
    if (!verdict.ok) return options.onRefused(c, verdict);
    await next();
    return undefined;
  };
}
