import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

export interface RequestIdOptions {
  /** The header read from the ingress and echoed in the answer. */
  header?: string;
  /** Which incoming ids are believed; anything else gets a fresh one (the id reaches every audit line). */
  accept?: RegExp;
}

export type RequestIdVariables = { requestId: string };

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** An ingress's X-Request-Id ties our audit line to its access log; a missing or odd one gets a fresh UUID. */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  const header = options.header ?? 'x-request-id';
  const accept = options.accept ?? SAFE_ID;
  return async (c, next) => {
    const incoming = c.req.header(header);
    const id = incoming !== undefined && accept.test(incoming) ? incoming : randomUUID();
    c.set('requestId', id);
    c.header(header, id);
    await next();
  };
}
