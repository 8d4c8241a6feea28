import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Audience } from '../login/vocabulary.js';
import { renderFailure } from '../loginshare/answer.js';
import { runLogin, type LoginFlowDeps, type LoginResult } from '../loginshare/login-flow.js';
import { MESSAGES } from '../loginshare/messages.js';
import { parseLoginShareForm, type ParsedRequest } from '../loginshare/request.js';
import type { Realm } from '../realm/realm.js';
import type { Logger } from '../observability/logger.js';
import { loginAuditWriter, type LoginAuditLine, type LoginAuditWriter } from '../observability/audit-line.js';
import type { BridgeMetrics } from '../observability/metrics.js';
import type { CallerRequest, CallerVerdict } from './caller-guard.js';
import { readNodeBodyLimited } from './read-body.js';

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
/** `/loginshare/<realm>/<user|staff>`: the only URLs Kayako is given. */
const ROUTE = /^\/loginshare\/([^/]+)\/(user|staff)$/;

/**
 * The LoginShare endpoint, as a plain `node:http` request listener. Kayako reads only the body, so every answer
 * here — a bad form, an unknown realm, a refused caller, a crash — is a well-formed `<loginshare>` packet, sent
 * with status 200: a 4xx/5xx invites ingress controllers to swap in an HTML error page, which Kayako would choke
 * on. (Wrong URLs and methods get 404/405, still with an XML body.)
 *
 * This is the hot path, so it is written against Node's request and response directly: going through Hono and
 * @hono/node-server (web `Request`/`Response`/`Headers` per login) cost 20–45 µs of CPU per login here, a fifth
 * of everything the bridge must do (docs/benchmarks.md). The ops port keeps Hono.
 */
export function createLoginShareListener(deps: LoginShareAppDeps): RequestListener {
  const writeAudit = loginAuditWriter(deps.audit);
  return (req, res) => {
    const crashed = (err: unknown) => {
      deps.log.error({ err: safeError(err), path: pathOf(req.url) }, 'unhandled error answering a LoginShare request');
      send(res, renderFailure(MESSAGES.unavailable));
    };
    try {
      answer(req, res, deps, writeAudit)?.catch(crashed);
    } catch (err) {
      crashed(err);
    }
  };
}

/** Routes the request; a login's promise is returned (not awaited here: one async frame less per login). */
function answer(req: IncomingMessage, res: ServerResponse, deps: LoginShareAppDeps, writeAudit: LoginAuditWriter): Promise<void> | undefined {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const route = ROUTE.exec(queryAt < 0 ? url : url.slice(0, queryAt));
  if (!route) {
    req.resume();
    send(res, renderFailure(MESSAGES.unknownRealm), 404);
    return undefined;
  }
  if (req.method !== 'POST') {
    req.resume();
    send(res, renderFailure('LoginShare expects an HTTP POST from Kayako.'), 405);
    return undefined;
  }
  const query = queryAt < 0 ? undefined : new URLSearchParams(url.slice(queryAt + 1));
  return handleLogin(req, res, decodeSegment(route[1]!), route[2] as Audience, query?.get('key') ?? undefined, deps, writeAudit);
}

async function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  realmId: string,
  audience: Audience,
  keyParam: string | undefined,
  deps: LoginShareAppDeps,
  writeAudit: LoginAuditWriter,
): Promise<void> {
  const started = performance.now();
  // An ingress's X-Request-Id ties our audit line to its access log; anything else gets a fresh id.
  const incomingId = req.headers['x-request-id'];
  const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  res.setHeader('x-request-id', requestId);
  const guarded = deps.realms.get(realmId);
  const peerAddress = req.socket.remoteAddress ?? '';
  const base = { requestId, realm: realmId, audience };

  if (!guarded) {
    req.resume();
    deps.audit.warn({ ...base, event: 'login', outcome: 'unknown_realm', caller: peerAddress }, 'LoginShare POST for an unknown realm');
    send(res, renderFailure(MESSAGES.unknownRealm));
    return;
  }
  const caller = guarded.authorizeCaller({
    peerAddress,
    forwardedFor: headerText(req.headers['x-forwarded-for']),
    keyParam,
    authorization: req.headers.authorization,
  });
  if (!caller.ok) {
    req.resume();
    deps.metrics.callerRefused.inc({ realm: realmId, reason: caller.reason });
    deps.audit.warn({ ...base, event: 'login', outcome: 'caller_refused', reason: caller.reason, caller: caller.callerAddress }, 'LoginShare caller refused');
    send(res, renderFailure(MESSAGES.callerRefused));
    return;
  }

  const body = await readNodeBodyLimited(req, deps.bodyLimitBytes);
  const parsed: ParsedRequest =
    body.kind === 'ok' ? parseLoginShareForm(body.body, audience) : { kind: 'malformed', reason: 'body too large' };
  if (parsed.kind === 'malformed') {
    const outcome = 'bad_request';
    deps.metrics.logins.inc({ realm: realmId, audience, connector: 'none', outcome });
    deps.audit.info({ ...base, event: 'login', outcome, reason: parsed.reason, username: parsed.username, caller: caller.callerAddress }, 'malformed LoginShare POST');
    send(res, renderFailure(MESSAGES.badRequest));
    return;
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

  // A literal of fixed shape, not a spread of `base`: V8 builds the spread version in dictionary mode, which
  // cost ~15 µs per login here. Written by observability/audit-line.ts, in exactly pino's format.
  const auditLine: LoginAuditLine = {
    requestId,
    realm: realmId,
    audience,
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
    writeAudit('error', auditLine, 'login failed: operator action needed');
  } else {
    writeAudit('info', auditLine, result.outcome === 'ok' ? 'login succeeded' : 'login refused');
  }
  send(res, result.xml);
}

function send(res: ServerResponse, body: string, status: 200 | 404 | 405 = 200): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/xml; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A realm id as typed in the URL (`%2D` and `-` name the same realm); a broken escape names no realm. */
function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const queryAt = path.indexOf('?');
  // The query carries the realm secret: never log it.
  return queryAt < 0 ? path : path.slice(0, queryAt);
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
