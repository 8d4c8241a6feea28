import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { AppPasswordStore } from '../signin/app-passwords.js';
import type { PageSession, PageSessions } from '../signin/page-sessions.js';
import type { BrowserSignInCallback, BrowserSignInMethod, BrowserSignInRequest } from '../login/browser-sign-in.js';
import { within } from '../login/deadline.js';
import type { Audience } from '../login/vocabulary.js';
import type { Logger } from '../observability/logger.js';
import { loginNamesOf, type SignInCodeStore, type TakingCache } from '../signin/code-store.js';
import type { PendingSignIn, PendingSignIns } from '../signin/pending-sign-in.js';
import type { SignInPageConfig } from '../signin/signin-config.js';
import { fill, signInTexts, type SignInTexts } from '../signin/signin-text.js';
import { safeError } from './middleware/loginshare-answers.js';
import {
  ASSET_PATH,
  COPY_JS,
  renderAppPasswordsPage,
  renderCodePage,
  renderErrorPage,
  renderStartPage,
  SIGNIN_CSS,
  type PageFrame,
  type StartChoice,
} from './signin-page.js';

/**
 * `/signin/<realm>`: the page where a person signs in at their company's IdP in the browser and gets a one-time
 * Kayako sign-in code (redeemed by connectors/signin-code). Three steps:
 *
 *   GET /signin/<realm>                 the start page: one link per audience the realm serves
 *   GET /signin/<realm>/start?for=user  a pending sign-in is saved under a fresh `state`, a random cookie ties it
 *                                       to this browser, and the browser goes to the IdP
 *   GET /signin/<realm>/callback        the IdP's answer: the pending sign-in is taken (once), the cookie checked,
 *                                       the method verifies the answer, and the page shows the code
 *
 * With SAML Web SSO the answer is a cross-site form POST instead: `POST /signin/<realm>/saml/acs` takes the
 * pending sign-in by RelayState and hands the browser on to `GET /signin/<realm>/saml/finish`, where the same
 * checks as at /callback run (see the note at the ACS route); `GET /signin/<realm>/saml/metadata` is the SP
 * metadata for the IdP.
 *
 * Every answer carries a strict Content-Security-Policy (only this app's own stylesheet and script) and
 * `Cache-Control: no-store`; the cookie is `__Host-` prefixed, Secure, HttpOnly and SameSite=Lax (Lax, not
 * Strict: the IdP's redirect back is a cross-site navigation, which must carry it). Neither codes nor states
 * are ever logged.
 */
export interface SignInRealm {
  realmId: string;
  page: SignInPageConfig;
  audiences: { user: boolean; staff: boolean };
  method: BrowserSignInMethod;
}

export interface SignInAppDeps {
  realms: ReadonlyMap<string, SignInRealm>;
  codes: SignInCodeStore;
  pending: PendingSignIns;
  log: Logger;
  audit: Logger;
  /** Bound on one IdP round trip of the page (discovery, code exchange, group lookup). */
  timeoutMs: number;
  /** For realms with `appPasswords`: the store and the page's short sessions after a staff sign-in. */
  appPasswords?: { store: AppPasswordStore; sessions: PageSessions };
  /** Counts sign-in starts per address, so a flood of starts cannot fill the store with pending sign-ins. */
  startLimit: { cache: TakingCache; perAddressPerMinute: number; addressOf(peer: string, forwardedFor: string | undefined): string };
}

const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  styleSrc: ["'self'"],
  scriptSrc: ["'self'"],
  imgSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

const COOKIE_PREFIX = 'lsb-signin-';
const SESSION_COOKIE_PREFIX = 'lsb-session-';
/** How long the page stays signed in for managing app passwords after a staff sign-in. */
const PAGE_SESSION_MS = 15 * 60_000;

export function createSignInApp(deps: SignInAppDeps): Hono {
  const app = new Hono();
  const frames = new Map<string, PageFrame>();
  for (const [id, realm] of deps.realms) {
    frames.set(id, { language: realm.page.language, displayName: realm.page.displayName, texts: signInTexts(realm.page.text) });
  }
  const fallbackFrame: PageFrame = { language: 'en', displayName: 'Sign-in', texts: signInTexts({}) };

  app.use('/signin/*', secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, referrerPolicy: 'no-referrer' }));
  app.use('/signin/*', async (c, next) => {
    await next();
    if (!c.req.path.startsWith(`${ASSET_PATH}/`)) c.header('Cache-Control', 'no-store');
  });
  app.onError((err, c) => {
    // A refusal by Hono's own middleware (the form's origin check): the request's fault, not the bridge's.
    if (err instanceof HTTPException && err.status < 500) {
      deps.audit.warn({ realm: c.req.param('realm'), event: 'signin', outcome: 'form_refused', status: err.status }, 'sign-in page form refused');
      const frame = frames.get(c.req.param('realm') ?? '') ?? fallbackFrame;
      return c.html(renderErrorPage(frame, frame.texts.errorBadRequest, undefined), err.status);
    }
    deps.log.error({ path: c.req.path, err: safeError(err) }, 'sign-in page failed with an unexpected error');
    const frame = frames.get(c.req.param('realm') ?? '') ?? fallbackFrame;
    return c.html(renderErrorPage(frame, frame.texts.errorUnavailable, undefined), 500);
  });

  app.get(`${ASSET_PATH}/signin.css`, (c) => c.body(SIGNIN_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));
  app.get(`${ASSET_PATH}/copy.js`, (c) => c.body(COPY_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }));

  const found = (c: Context): { realm: SignInRealm; frame: PageFrame } | undefined => {
    const id = c.req.param('realm') ?? '';
    const realm = deps.realms.get(id);
    const frame = frames.get(id);
    return realm && frame ? { realm, frame } : undefined;
  };
  const notFound = (c: Context) => c.html(renderErrorPage(fallbackFrame, fallbackFrame.texts.errorNotFound, undefined), 404);
  const startHref = (realmId: string) => `/signin/${encodeURIComponent(realmId)}`;

  app.get('/signin/:realm', (c) => {
    const here = found(c);
    if (!here) return notFound(c);
    return c.html(renderStartPage(here.frame, startChoices(here.realm, here.frame.texts)));
  });

  app.get('/signin/:realm/start', async (c) => {
    const here = found(c);
    if (!here) return notFound(c);
    const { realm, frame } = here;
    const audience = c.req.query('for');
    if ((audience !== 'user' && audience !== 'staff') || !realm.audiences[audience]) {
      return c.html(renderErrorPage(frame, frame.texts.errorBadRequest, startHref(realm.realmId)), 400);
    }
    const address = deps.startLimit.addressOf(getConnInfo(c).remote.address ?? '', c.req.header('x-forwarded-for'));
    if ((await deps.startLimit.cache.increment(`signin:starts:${address}`, 60_000)) > deps.startLimit.perAddressPerMinute) {
      deps.audit.warn({ realm: realm.realmId, event: 'signin', outcome: 'rate_limited', caller: address }, 'browser sign-in refused');
      return c.html(renderErrorPage(frame, frame.texts.errorTooMany, startHref(realm.realmId)), 429);
    }
    const { state, browserSecret } = deps.pending.open();
    const request = signInRequest(realm, state);
    let redirectTo: string;
    try {
      const started = await within(deps.timeoutMs, `${realm.method.id}: sign-in start timed out`, (deadline) => realm.method.start(request, deadline));
      await deps.pending.save(
        state,
        browserSecret,
        { realmId: realm.realmId, audience, methodId: realm.method.id, methodState: started.pending },
        realm.page.stateLifetimeSeconds * 1000,
      );
      redirectTo = started.redirectTo;
    } catch (err) {
      deps.log.error({ realm: realm.realmId, method: realm.method.id, err: safeError(err) }, 'sign-in could not start');
      return c.html(renderErrorPage(frame, frame.texts.errorUnavailable, startHref(realm.realmId)), 503);
    }
    setCookie(c, cookieName(realm.realmId), browserSecret, {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
      maxAge: realm.page.stateLifetimeSeconds,
      prefix: 'host',
    });
    return c.redirect(redirectTo, 303);
  });

  const refusal = (c: Context, realm: SignInRealm, frame: PageFrame, message: string, status: 400 | 403 | 503, reason: string) => {
    deps.audit.warn({ realm: realm.realmId, event: 'signin', outcome: reason, method: realm.method.id }, 'browser sign-in refused');
    return c.html(renderErrorPage(frame, message, startHref(realm.realmId)), status);
  };

  /**
   * The end of every browser sign-in, once its pending record is taken: the cookie must be the one the start set
   * (so an answer carried to another browser yields nothing there), then the method verifies the IdP's answer,
   * and the code is issued and shown.
   */
  const complete = async (c: Context, realm: SignInRealm, frame: PageFrame, pending: PendingSignIn | undefined, callback: BrowserSignInCallback, state: string) => {
    const t = frame.texts;
    const again = startHref(realm.realmId);
    const browserSecret = getCookie(c, cookieName(realm.realmId), 'host');
    deleteCookie(c, cookieName(realm.realmId), { path: '/', secure: true, prefix: 'host' });
    if (!startedHere(pending, realm)) return refusal(c, realm, frame, t.errorExpired, 400, 'state_expired');
    if (browserSecret === undefined) return refusal(c, realm, frame, t.errorCookies, 400, 'no_cookie');
    if (!deps.pending.sameBrowser(pending, browserSecret)) return refusal(c, realm, frame, t.errorOtherBrowser, 400, 'other_browser');

    const outcome = await within(deps.timeoutMs, `${realm.method.id}: sign-in answer timed out`, (deadline) =>
      realm.method.finish(callback, pending.methodState, signInRequest(realm, state), deadline),
    );
    switch (outcome.kind) {
      case 'refused':
        return refusal(c, realm, frame, fill(t.errorRefused, { error: outcome.detail }), 403, `idp_refused: ${outcome.detail}`);
      case 'misconfigured':
      case 'unavailable':
        deps.log.error({ realm: realm.realmId, method: realm.method.id, outcome: outcome.kind, err: safeError(outcome.cause) }, 'browser sign-in failed: operator action may be needed');
        return c.html(renderErrorPage(frame, t.errorUnavailable, again), 503);
      case 'ok':
        break;
    }
    const identity = outcome.identity;
    const audience: Audience = pending.audience;
    const lifetimeSeconds = realm.page.codeLifetimeSeconds;
    const { code, expiresAt } = await deps.codes.issue(
      { realmId: realm.realmId, audience, identity, loginNames: loginNamesOf(identity) },
      lifetimeSeconds * 1000,
    );
    deps.audit.info(
      { realm: realm.realmId, audience, event: 'signin', outcome: 'code_issued', method: realm.method.id, username: identity.username, subject: identity.subject },
      'browser sign-in: one-time code issued',
    );
    const username = identity.emails[0] ?? identity.username;
    let appPasswordsHref: string | undefined;
    if (audience === 'staff' && realm.page.appPasswords && deps.appPasswords) {
      const { secret } = await deps.appPasswords.sessions.open({ realmId: realm.realmId, identity, loginNames: loginNamesOf(identity) }, PAGE_SESSION_MS);
      setCookie(c, sessionCookieName(realm.realmId), secret, { path: '/', secure: true, httpOnly: true, sameSite: 'Strict', maxAge: PAGE_SESSION_MS / 1000, prefix: 'host' });
      appPasswordsHref = `${again}/app-passwords`;
    }
    return c.html(
      renderCodePage(frame, {
        code,
        personName: identity.displayName ?? username,
        username,
        lifetimeSeconds,
        expiresAt: new Date(expiresAt),
        next: nextLink(realm, audience, t),
        appPasswordsHref,
      }),
    );
  };

  app.get('/signin/:realm/callback', async (c) => {
    const here = found(c);
    if (!here || here.realm.method.answeredBy === 'form-post') return notFound(c);
    const { realm, frame } = here;
    const callback = { url: new URL(`${redirectUriOf(realm)}${new URL(c.req.url).search}`) };
    const state = realm.method.stateOf(callback);
    if (!state) return refusal(c, realm, frame, frame.texts.errorBadRequest, 400, 'no_state');
    return complete(c, realm, frame, await deps.pending.take(state), callback, state);
  });

  /*
   * SAML's HTTP-POST binding: the IdP's page POSTs the answer here from its own site. A cross-site POST carries no
   * SameSite=Lax cookie (and the cookie must stay Lax: None would let any site drive the page), so this step
   * cannot tell which browser it is talking to and decides nothing about the person. It only
   *   - reads RelayState, the unguessable state the start sent to the IdP, and takes that pending sign-in (once:
   *     a replayed answer, an IdP-initiated one or one with a made-up RelayState finds none and is refused), and
   *   - keeps the pending record and the answer server-side under a fresh one-time token, and sends the browser
   *     on (303) to /saml/finish?answer=<token>, a same-site top-level GET that does carry the Lax cookie.
   * There `complete` checks the cookie against the one this sign-in set before the answer is even validated, and
   * the method checks the answer's InResponseTo against the request id kept in the pending record. So an answer
   * carried to another browser (a victim's response posted by someone else, or an attacker's own response pushed
   * into a victim's browser to sign them in as the attacker) meets a missing or different cookie and yields no
   * code; the pending sign-in it spent just has to be started again.
   */
  const HANDOVER_MS = 60_000;
  const acsBodyLimit = bodyLimit({ maxSize: 512 * 1024, onError: (c) => c.html(renderErrorPage(fallbackFrame, fallbackFrame.texts.errorBadRequest, undefined), 413) });

  app.post('/signin/:realm/saml/acs', acsBodyLimit, async (c) => {
    const here = found(c);
    if (!here || here.realm.method.answeredBy !== 'form-post') return notFound(c);
    const { realm, frame } = here;
    const body = await c.req.parseBody();
    const form = new URLSearchParams();
    for (const name of ['SAMLResponse', 'RelayState']) if (typeof body[name] === 'string') form.set(name, body[name]);
    const state = realm.method.stateOf({ url: new URL(redirectUriOf(realm)), form });
    if (!state) return refusal(c, realm, frame, frame.texts.errorBadRequest, 400, 'no_state');
    const pending = await deps.pending.take(state);
    if (!startedHere(pending, realm)) return refusal(c, realm, frame, frame.texts.errorExpired, 400, 'state_expired');
    const token = await deps.pending.handOver(pending, form.toString(), HANDOVER_MS);
    return c.redirect(`${startHref(realm.realmId)}/saml/finish?answer=${encodeURIComponent(token)}`, 303);
  });

  app.get('/signin/:realm/saml/finish', async (c) => {
    const here = found(c);
    if (!here || here.realm.method.answeredBy !== 'form-post') return notFound(c);
    const { realm, frame } = here;
    const held = await deps.pending.takeHandedOver(c.req.query('answer') ?? '');
    const form = new URLSearchParams(held?.answer ?? '');
    return complete(c, realm, frame, held?.record, { url: new URL(redirectUriOf(realm)), form }, form.get('RelayState') ?? '');
  });

  app.get('/signin/:realm/saml/metadata', (c) => {
    const here = found(c);
    const metadata = here?.realm.method.serviceProviderMetadata;
    if (!here || !metadata) return notFound(c);
    return c.body(metadata.call(here.realm.method, redirectUriOf(here.realm)), 200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8' });
  });

  // App passwords: only with a page session from a staff sign-in; forms carry the session's token and must come
  // from the page's own origin.
  const appPasswordsOf = (c: Context) => {
    const here = found(c);
    if (!here || !here.realm.page.appPasswords || !deps.appPasswords) return undefined;
    return { ...here, settings: here.realm.page.appPasswords, ...deps.appPasswords };
  };
  const sessionOf = async (c: Context, realmId: string, sessions: PageSessions) => {
    const secret = getCookie(c, sessionCookieName(realmId), 'host');
    return secret === undefined ? undefined : sessions.get(realmId, secret);
  };
  type AppPasswordsHere = NonNullable<ReturnType<typeof appPasswordsOf>>;
  const listPage = async (c: Context, ap: AppPasswordsHere, session: PageSession, extra: { created?: string; notice?: string } = {}) =>
    c.html(
      renderAppPasswordsPage(ap.frame, {
        action: `${startHref(ap.realm.realmId)}/app-passwords`,
        formToken: session.formToken,
        interfaces: ap.settings.interfaces,
        lifetimeDays: ap.settings.lifetimeDays,
        list: await ap.store.list(ap.realm.realmId, session.identity.subject),
        ...extra,
      }),
    );
  const sessionEnded = (c: Context, frame: PageFrame, realmId: string) => c.html(renderErrorPage(frame, frame.texts.errorSessionEnded, startHref(realmId)), 403);

  app.get('/signin/:realm/app-passwords', async (c) => {
    const ap = appPasswordsOf(c);
    if (!ap) return notFound(c);
    const session = await sessionOf(c, ap.realm.realmId, ap.sessions);
    if (!session) return sessionEnded(c, ap.frame, ap.realm.realmId);
    return listPage(c, ap, session);
  });

  const formGuards = [
    bodyLimit({ maxSize: 4096, onError: (c) => c.html(renderErrorPage(fallbackFrame, fallbackFrame.texts.errorBadRequest, undefined), 413) }),
    csrf({ origin: (origin, c) => origin === new URL(deps.realms.get(c.req.param('realm') ?? '')?.page.publicUrl ?? 'null:').origin }),
  ] as const;

  app.post('/signin/:realm/app-passwords', ...formGuards, async (c) => {
    const ap = appPasswordsOf(c);
    if (!ap) return notFound(c);
    const session = await sessionOf(c, ap.realm.realmId, ap.sessions);
    const form = await c.req.parseBody();
    if (!session || !ap.sessions.formTokenMatches(session, String(form['token'] ?? ''))) return sessionEnded(c, ap.frame, ap.realm.realmId);
    const label = String(form['label'] ?? '').trim().slice(0, 60);
    if (label === '') return listPage(c, ap, session, { notice: ap.frame.texts.appPasswordNeedsName });
    if ((await ap.store.list(ap.realm.realmId, session.identity.subject)).length >= ap.settings.maxPerPerson) {
      return listPage(c, ap, session, { notice: ap.frame.texts.appPasswordTooMany });
    }
    const { password } = await ap.store.create(session, label, ap.settings.interfaces, ap.settings.lifetimeDays * 86_400_000);
    deps.audit.info({ realm: ap.realm.realmId, audience: 'staff', event: 'signin', outcome: 'app_password_created', username: session.identity.username, subject: session.identity.subject, label }, 'app password created');
    return listPage(c, ap, session, { created: password });
  });

  app.post('/signin/:realm/app-passwords/revoke', ...formGuards, async (c) => {
    const ap = appPasswordsOf(c);
    if (!ap) return notFound(c);
    const session = await sessionOf(c, ap.realm.realmId, ap.sessions);
    const form = await c.req.parseBody();
    if (!session || !ap.sessions.formTokenMatches(session, String(form['token'] ?? ''))) return sessionEnded(c, ap.frame, ap.realm.realmId);
    const id = String(form['id'] ?? '');
    const label = (await ap.store.list(ap.realm.realmId, session.identity.subject)).find((item) => item.id === id)?.label ?? '';
    if (await ap.store.revoke(ap.realm.realmId, session.identity.subject, id)) {
      deps.audit.info({ realm: ap.realm.realmId, audience: 'staff', event: 'signin', outcome: 'app_password_revoked', username: session.identity.username, subject: session.identity.subject, label }, 'app password revoked');
    }
    return listPage(c, ap, session, { notice: fill(ap.frame.texts.appPasswordRevoked, { name: label }) });
  });

  app.all('/signin/*', notFound);
  app.all('/signin', notFound);
  return app;
}

function startChoices(realm: SignInRealm, t: SignInTexts): StartChoice[] {
  const base = `/signin/${encodeURIComponent(realm.realmId)}/start?for=`;
  const choices: StartChoice[] = [];
  if (realm.audiences.user) choices.push({ href: `${base}user`, label: t.startUser });
  if (realm.audiences.staff) choices.push({ href: `${base}staff`, label: t.startStaff });
  return choices;
}

function nextLink(realm: SignInRealm, audience: Audience, t: SignInTexts): StartChoice | undefined {
  if (audience === 'user' && realm.page.helpdeskUrl) return { href: realm.page.helpdeskUrl, label: t.goToHelpdesk };
  if (audience === 'staff' && realm.page.staffUrl) return { href: realm.page.staffUrl, label: t.goToStaff };
  return undefined;
}

/** Where the IdP sends its answer: the OIDC redirect URI, or the SAML AssertionConsumerService URL. */
function redirectUriOf(realm: SignInRealm): string {
  const path = realm.method.answeredBy === 'form-post' ? 'saml/acs' : 'callback';
  return `${realm.page.publicUrl}/signin/${encodeURIComponent(realm.realmId)}/${path}`;
}

/** Whether a taken pending sign-in was started by this realm's page, with its method. */
function startedHere(pending: PendingSignIn | undefined, realm: SignInRealm): pending is PendingSignIn {
  return pending !== undefined && pending.realmId === realm.realmId && pending.methodId === realm.method.id;
}

function signInRequest(realm: SignInRealm, state: string): BrowserSignInRequest {
  return { redirectUri: redirectUriOf(realm), state, realmId: realm.realmId };
}

function sessionCookieName(realmId: string): string {
  return `${SESSION_COOKIE_PREFIX}${realmId}`;
}

function cookieName(realmId: string): string {
  return `${COOKIE_PREFIX}${realmId}`;
}
