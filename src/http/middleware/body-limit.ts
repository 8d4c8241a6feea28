import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { readNodeBodyLimited } from '../read-body.js';

export interface BodyLimitOptions<E extends BodyEnv> {
  maxBytes: number;
  /** The answer to a body over the limit (LoginShare wants its XML, never Hono's text). */
  onTooLarge(c: Context<E>): Response | Promise<Response>;
}

export type BodyVariables = { body: Buffer | undefined };
export type BodyEnv = { Bindings: HttpBindings; Variables: BodyVariables };

/**
 * Reads the body once, as bytes, counting what actually arrives (a Content-Length can lie and a chunked body
 * has none), and hands it to the handler in `c.var.body`. Not `hono/body-limit`: that one wraps the web
 * `Request` body in a counting stream and answers with its own text, and the handler would still have to read
 * the stream again. The bytes come from Node's request (`c.env.incoming`), so the web `Request` never holds the
 * body and nothing decodes it to one string holding the password: `loginshare/request.ts` reads the fields
 * from these bytes. The handler drops `c.var.body` once it has parsed it.
 */
export function bodyLimit<E extends BodyEnv>(options: BodyLimitOptions<E>): MiddlewareHandler<E> {
  return async (c, next) => {
    const read = await readNodeBodyLimited(c.env.incoming, options.maxBytes);
    if (read.kind === 'too_large') return options.onTooLarge(c);
    c.set('body', read.body);
    await next();
    return undefined;
  };
}
