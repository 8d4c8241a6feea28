import { errorFields, type ErrorFields } from '../../observability/error-fields.js';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { renderFailure } from '../../loginshare/answer.js';
import { MESSAGES } from '../../loginshare/messages.js';
import type { Logger } from '../../observability/logger.js';

/** The headers of every LoginShare answer, those Hono sends and those written straight to a socket alike. */
export const LOGINSHARE_ANSWER_HEADERS = { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store' } as const;

/**
 * Kayako reads only the body, so every answer on a LoginShare URL is a well-formed `<loginshare>` packet, sent
 * with status 200: a 4xx/5xx invites ingress controllers to swap in an HTML error page, which Kayako would choke
 * on. Wrong URLs and methods are the exception (404/405), still with an XML body.
 */
export function sendXml(c: Context, xml: string, status: 200 | 404 | 405 = 200): Response {
  return c.body(xml, status, { ...LOGINSHARE_ANSWER_HEADERS });
}

/** `app.onError`: a throw anywhere on the route (middleware included) becomes a `result 0` answer, status 200. */
export function loginShareOnError(options: { log: Logger }): ErrorHandler {
  return (err, c) => {
    options.log.error({ err: safeError(err), path: c.req.path }, 'unhandled error answering a LoginShare request');
    return sendXml(c, renderFailure(MESSAGES.unavailable));
  };
}

/** `app.notFound`: no HTML and no redirect — an unknown URL names no realm (a trailing slash included). */
export function loginShareNotFound(): NotFoundHandler {
  return (c) => sendXml(c, renderFailure(MESSAGES.unknownRealm), 404);
}

/** For every method but POST on a LoginShare URL. */
export function loginShareMethodNotAllowed(c: Context): Response {
  return sendXml(c, renderFailure('LoginShare expects an HTTP POST from Kayako.'), 405);
}

/** Error objects for logs: type, message, code, stack and causes — never the request that caused them. */
export function safeError(err: unknown): ErrorFields {
  return errorFields(err);
}
