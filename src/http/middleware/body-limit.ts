import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { readNodeBodyLimited } from '../read-body.js';

export interface BodyLimitOptions<E extends BodyEnv> {
  maxBytes: number;
  /** How long the whole body may take to arrive once the headers are in. */
  timeoutMs: number;
  /** The answer to a body over the limit (LoginShare wants its XML, never Hono's text). */
  onTooLarge(c: Context<E>): Response | Promise<Response>;
  /** The answer to a body that has not arrived in time (the connection is closed after it). */
  onTooSlow(c: Context<E>): Response | Promise<Response>;
}

export type BodyVariables = { body: Buffer | undefined };
export type BodyEnv = { Bindings: HttpBindings; Variables: BodyVariables };

/**
 * Reads the body once, as bytes, counting what actually arrives (a Content-Length can lie and a chunked body
 * has none), and hands it to the handler in `c.var.body`. Not `hono/body-limit`: that one wraps the web
 * `Request` body in a counting stream and answers with its own text, and the handler would still have to read
 * the stream again. The bytes come from Node's request (`c.env.incoming`), so the web `Request` never holds the
 * body and nothing decodes it to one string holding the password: `loginshare/request.ts` reads the fields
 * from these bytes. The handler drops `c.var.body` once it has parsed it. A body that stalls is answered after
 * `timeoutMs` (see `readNodeBodyLimited`).
 */
export function bodyLimit<E extends BodyEnv>(options: BodyLimitOptions<E>): MiddlewareHandler<E> {
  return async (c, next) => {
    const read = await readNodeBodyLimited(c.env.incoming, { maxBytes: options.maxBytes, timeoutMs: options.timeoutMs });
    if (read.kind === 'too_large') return options.onTooLarge(c);
    if (read.kind === 'too_slow') {
      // The rest of the body may still come: the connection cannot carry another request, so it closes.
      c.header('connection', 'close');
      return options.onTooSlow(c);
    }
    c.set('body', read.body);
    await next();
    return undefined;
  };
}
