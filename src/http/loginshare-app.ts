import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Audience } from '../connectors/connector.js';
import { renderFailure } from '../loginshare/answer.js';
import { runLogin, type LoginFlowDeps, type LoginResult } from '../loginshare/login-flow.js';
import { MESSAGES } from '../loginshare/messages.js';
import { parseLoginShareForm, type ParsedRequest } from '../loginshare/request.js';
import type { Realm } from '../realm/realm.js';
import type { Logger } from '../observability/logger.js';
import type { BridgeMetrics } from '../observability/metrics.js';
import type { CallerRequest, CallerVerdict } from './caller-guard.js';
import { readBodyLimited, readNodeBodyLimited } from './read-body.js';

export interface GuardedRealm {
  realm: Realm;
  authorizeCaller(req: CallerRequest): CallerVerdict;
}

export interface LoginShareAppDeps {
  realms: ReadonlyMap<string, GuardedRealm>;
  flow: LoginFlowDeps;
  bodyLimitBytes: number;
  log: Logger;
  audit: Logger;
  metrics: BridgeMetrics;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const XML_HEADERS = { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store' };

/**
 * The LoginShare routes. Kayako reads only the body, so every answer here — a bad form, an unknown realm, a
 * refused caller, a crash — is a well-formed `<loginshare>` packet, sent with status 200: a 4xx/5xx invites
 * ingress controllers to swap in an HTML error page, which Kayako would choke on.
 */
export function createLoginShareApp(deps: LoginShareAppDeps): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    deps.log.error({ err: safeError(err), path: c.req.path }, 'unhandled error answering a LoginShare request');
    return xml(c, renderFailure(MESSAGES.unavailable));
  });
  app.notFound((c) => xml(c, renderFailure(MESSAGES.unknownRealm), 404));

  for (const audience of ['user', 'staff'] as const) {
    app.post(`/loginshare/:realm/${audience}`, (c) => handleLogin(c, audience, deps));
    app.on(['GET', 'PUT', 'DELETE', 'PATCH'], `/loginshare/:realm/${audience}`, (c) =>
      xml(c, renderFailure('LoginShare expects an HTTP POST from Kayako.'), 405),
    );
  }
  return app;
}

async function handleLogin(c: Context, audience: Audience, deps: LoginShareAppDeps): Promise<Response> {
  const started = performance.now();
  // An ingress's X-Request-Id ties our audit line to its access log; anything else gets a fresh id.
  const incomingId = c.req.header('x-request-id');
  const requestId = incomingId && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  c.header('x-request-id', requestId);
  const realmId = c.req.param('realm') ?? '';
  const guarded = deps.realms.get(realmId);
  const peerAddress = getConnInfo(c).remote.address ?? '';
  const base = { requestId, realm: realmId, audience };

  if (!guarded) {
    deps.audit.warn({ ...base, event: 'login', outcome: 'unknown_realm', caller: peerAddress }, 'LoginShare POST for an unknown realm');
    return xml(c, renderFailure(MESSAGES.unknownRealm));
  }
  const caller = guarded.authorizeCaller({
    peerAddress,
    forwardedFor: c.req.header('x-forwarded-for'),
    keyParam: c.req.query('key'),
    authorization: c.req.header('authorization'),
  });
  if (!caller.ok) {
    deps.metrics.callerRefused.inc({ realm: realmId, reason: caller.reason });
    deps.audit.warn({ ...base, event: 'login', outcome: 'caller_refused', reason: caller.reason, caller: caller.callerAddress }, 'LoginShare caller refused');
    return xml(c, renderFailure(MESSAGES.callerRefused));
  }

  // @hono/node-server hands over Node's request as env.incoming: reading it directly skips the web streams.
  const incoming = (c.env as { incoming?: Readable } | undefined)?.incoming;
  const body = incoming
    ? await readNodeBodyLimited(incoming, deps.bodyLimitBytes)
    : await readBodyLimited(c.req.raw, deps.bodyLimitBytes);
  const parsed: ParsedRequest =
    body.kind === 'ok' ? parseLoginShareForm(body.text, audience) : { kind: 'malformed', reason: 'body too large' };
  if (parsed.kind === 'malformed') {
    const outcome = 'bad_request';
    deps.metrics.logins.inc({ realm: realmId, audience, connector: 'none', outcome });
    deps.audit.info({ ...base, event: 'login', outcome, reason: parsed.reason, username: parsed.username, caller: caller.callerAddress }, 'malformed LoginShare POST');
    return xml(c, renderFailure(MESSAGES.badRequest));
  }
  const request = parsed.request;
  let result: LoginResult;
  try {
    result = await runLogin(guarded.realm, request, deps.flow);
  } catch (err) {
    deps.log.error({ ...base, err: safeError(err) }, 'login failed with an unexpected error');
    result = { xml: renderFailure(MESSAGES.unavailable), outcome: 'unavailable', detail: 'internal error' };
  }

  const seconds = (performance.now() - started) / 1000;
  deps.metrics.logins.inc({ realm: realmId, audience, connector: result.connectorId ?? 'none', outcome: result.outcome });
  deps.metrics.loginDuration.observe({ realm: realmId, audience, outcome: result.outcome }, seconds);
  if (result.lockedNow) deps.metrics.lockouts.inc({ realm: realmId });
  if (result.outcome === 'rate_limited') deps.metrics.rateLimited.inc({ realm: realmId, scope: result.detail ?? 'unknown' });

  const auditLine = {
    ...base,
    event: 'login',
    username: request.username,
    caller: caller.callerAddress,
    endUserIp: request.endUserIp || undefined,
    interface: request.staffInterface,
    connector: result.connectorId,
    outcome: result.outcome,
    rule: result.rule,
    usergroup: result.usergroup,
    team: result.team,
    detail: result.detail,
    lockedNow: result.lockedNow,
    durationMs: Math.round(seconds * 1000 * 10) / 10,
  };
  if (result.operatorError) {
    deps.audit.error(auditLine, 'login failed: operator action needed');
  } else {
    deps.audit.info(auditLine, result.outcome === 'ok' ? 'login succeeded' : 'login refused');
  }
  return xml(c, result.xml);
}

function xml(c: Context, body: string, status: 200 | 404 | 405 = 200): Response {
  return c.body(body, status, XML_HEADERS);
}

/** Error objects for logs: message and stack only — never the request that caused them. */
function safeError(err: unknown): { message: string; stack?: string; code?: unknown } {
  if (err instanceof Error) {
    const out: { message: string; stack?: string; code?: unknown } = { message: err.message };
    if (err.stack) out.stack = err.stack;
    if ('code' in err) out.code = (err as { code: unknown }).code;
    return out;
  }
  return { message: String(err) };
}
