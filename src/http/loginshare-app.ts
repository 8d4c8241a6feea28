import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { RequestListener } from 'node:http';
import type { Audience } from '../login/vocabulary.js';
import { renderFailure } from '../loginshare/answer.js';
import { runLogin, type LoginFlowDeps, type LoginResult } from '../loginshare/login-flow.js';
import { MESSAGES } from '../loginshare/messages.js';
import { parseLoginShareForm, type ParsedRequest } from '../loginshare/request.js';
import type { Realm } from '../realm/realm.js';
import type { Logger } from '../observability/logger.js';
import { loginAuditWriter, type LoginAuditLine } from '../observability/audit-line.js';
import type { BridgeMetrics } from '../observability/metrics.js';
import type { CallerRequest, CallerVerdict } from './caller-guard.js';
import { bodyLimit, type BodyVariables } from './middleware/body-limit.js';
import { callerGuard, type CallerVariables } from './middleware/caller-guard.js';
import { loginShareMethodNotAllowed, loginShareNotFound, loginShareOnError, safeError, sendXml } from './middleware/loginshare-answers.js';
import { requestId, type RequestIdVariables } from './middleware/request-id.js';

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
  /** Browser pages served beside the LoginShare routes (the /signin pages), with their own answers and errors. */
  pages?: Hono;
}

type RealmVariables = { realmId: string; audience: Audience; guarded: GuardedRealm; started: number };
export type LoginShareEnv = {
  Bindings: HttpBindings;
  Variables: RequestIdVariables & CallerVariables & BodyVariables & RealmVariables;
};
type Ctx = Context<LoginShareEnv>;
// Variables are read with `c.get`, one at a time: Hono's `c.var` builds a fresh object of all of them on every
// access (`Object.fromEntries` over its map), a tenth of what a login allocated when read five times per login.

/** `/loginshare/<realm>/<user|staff>`: the only URLs Kayako is given. */
const ROUTE = '/loginshare/:realm/:audience{user|staff}';

/**
 * The LoginShare endpoint as a Hono app, served by @hono/node-server. One concern per middleware — the request
 * id, the realm, the caller guard, the body limit — then the login; `onError`/`notFound` make sure that whatever
 * happens the answer is LoginShare XML (see `middleware/loginshare-answers.ts`). Hono's default strict routing
 * means a trailing slash is simply an unknown URL: nothing here ever redirects or answers HTML.
 *
 * Passwords: the body is read as bytes from Node's request (`c.env.incoming`) by the body-limit middleware and
 * the four fields are decoded from those bytes one by one (`loginshare/request.ts`); the web `Request` that
 * @hono/node-server hands to Hono never reads the body, and nothing that outlives the request (a logger
 * binding, the throttle key, a closure) is given the context, the request or the body.
 */
export function createLoginShareApp(deps: LoginShareAppDeps): Hono<LoginShareEnv> {
  const writeAudit = loginAuditWriter(deps.audit);
  const app = new Hono<LoginShareEnv>();
  app.onError(loginShareOnError({ log: deps.log }));
  app.notFound(loginShareNotFound());

  const malformed = (c: Ctx, reason: string, username?: string, message: string = MESSAGES.badRequest): Response => {
    const realmId = c.get('realmId');
    const audience = c.get('audience');
    const outcome = 'bad_request';
    deps.metrics.logins.inc({ realm: realmId, audience, connector: 'none', outcome });
    deps.audit.info(
      { requestId: c.get('requestId'), realm: realmId, audience, event: 'login', outcome, reason, username, caller: c.get('callerAddress') },
      'malformed LoginShare POST',
    );
    return sendXml(c, renderFailure(message));
  };

  if (deps.pages) app.route('/', deps.pages);
  app.post(
    ROUTE,
    requestId(),
    realm(deps),
    callerGuard<LoginShareEnv>({
      guardFor: (c) => c.get('guarded').authorizeCaller,
      onRefused: (c, verdict) => {
        const realmId = c.get('realmId');
        const audience = c.get('audience');
        deps.metrics.callerRefused.inc({ realm: realmId, reason: verdict.reason });
        deps.audit.warn(
          { requestId: c.get('requestId'), realm: realmId, audience, event: 'login', outcome: 'caller_refused', reason: verdict.reason, caller: verdict.callerAddress },
          'LoginShare caller refused',
        );
        return sendXml(c, renderFailure(MESSAGES.callerRefused));
      },
    }),
    bodyLimit<LoginShareEnv>({
      maxBytes: deps.bodyLimitBytes,
      // Kayako sends its few hundred bytes at once; a body still arriving after a whole login's time is not Kayako.
      timeoutMs: deps.flow.loginTimeoutMs,
      onTooLarge: (c) => malformed(c, 'body too large'),
      onTooSlow: (c) => malformed(c, 'body not received in time'),
    }),
    async (c) => {
      const body = c.get('body') ?? Buffer.alloc(0);
      // The bytes hold the password: the context keeps no reference to them past the parse.
      c.set('body', undefined);
      const audience = c.get('audience');
      const parsed: ParsedRequest = parseLoginShareForm(body, audience);
      if (parsed.kind === 'malformed') return malformed(c, parsed.reason, parsed.username, parsed.message);
      const realmId = c.get('realmId');
      const id = c.get('requestId');
      const guarded = c.get('guarded');
      const started = c.get('started');
      const request = parsed.request;
      let result: LoginResult;
      try {
        result = await runLogin(guarded.realm, request, deps.flow);
      } catch (err) {
        deps.log.error({ requestId: id, realm: realmId, audience, err: safeError(err) }, 'login failed with an unexpected error');
        result = { xml: renderFailure(MESSAGES.unavailable), outcome: 'unavailable', detail: 'internal error' };
      }

      const seconds = (performance.now() - started) / 1000;
      deps.metrics.logins.inc({ realm: realmId, audience, connector: result.connectorId ?? 'none', outcome: result.outcome });
      deps.metrics.loginDuration.observe({ realm: realmId, audience, outcome: result.outcome }, seconds);
      if (result.lockedNow) deps.metrics.lockouts.inc({ realm: realmId });
      if (result.outcome === 'rate_limited') deps.metrics.rateLimited.inc({ realm: realmId, scope: result.detail ?? 'unknown' });

      // A literal of fixed shape, not a spread: V8 builds the spread version in dictionary mode. Written by
      // observability/audit-line.ts, in exactly pino's format.
      const auditLine: LoginAuditLine = {
        requestId: id,
        realm: realmId,
        audience,
        event: 'login',
        username: request.username,
        canonicalUsername: result.canonicalUsername,
        caller: c.get('callerAddress'),
        endUserIp: request.endUserIp || undefined,
        interface: request.staffInterface,
        connector: result.connectorId,
        outcome: result.outcome,
        rule: result.rule,
        usergroup: result.usergroup,
        team: result.team,
        detail: result.detail,
        lockedNow: result.lockedNow,
        err: result.operatorError ? safeError(result.operatorError) : undefined,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
      };
      if (result.operatorError) writeAudit('error', auditLine, 'login failed: operator action needed');
      else writeAudit('info', auditLine, result.outcome === 'ok' ? 'login succeeded' : 'login refused');
      return sendXml(c, result.xml);
    },
  );
  app.all(ROUTE, loginShareMethodNotAllowed);
  return app;
}

/** The app on Node's `http` server: @hono/node-server's listener, so the caller keeps its own server and close. */
export function createLoginShareListener(deps: LoginShareAppDeps): RequestListener {
  return getRequestListener(createLoginShareApp(deps).fetch);
}

/** Finds the realm named in the URL; an unknown realm is answered (status 200) before the caller is judged. */
function realm(deps: LoginShareAppDeps): MiddlewareHandler<LoginShareEnv> {
  return async (c, next) => {
    const started = performance.now();
    // Hono decodes the segment (`%2D` and `-` name the same realm).
    const realmId = c.req.param('realm') ?? '';
    const audience = c.req.param('audience') as Audience;
    const guarded = deps.realms.get(realmId);
    c.set('realmId', realmId);
    c.set('audience', audience);
    c.set('started', started);
    if (!guarded) {
      deps.audit.warn(
        { requestId: c.get('requestId'), realm: realmId, audience, event: 'login', outcome: 'unknown_realm', caller: getConnInfo(c).remote.address ?? '' },
        'LoginShare POST for an unknown realm',
      );
      return sendXml(c, renderFailure(MESSAGES.unknownRealm));
    }
    c.set('guarded', guarded);
    await next();
    return undefined;
  };
}
