import type { Audience, Identity, LoginAttempt, LoginOutcome } from '../login/vocabulary.js';
import type { PasswordConnector } from '../login/password-connector.js';
import { deadlineIn } from '../login/deadline.js';
import type { Realm } from '../realm/realm.js';
import { evaluateRules, type RuleDecision } from '../rules/index.js';
import type { LoginThrottle } from '../security/login-throttle.js';
import { renderFailure, renderStaffSuccess, renderUserSuccess } from './answer.js';
import { INVALID_CREDENTIALS, MESSAGES, messageForOutcome } from './messages.js';
import { buildStaffProfile, buildUserProfile } from './profile.js';
import type { LoginShareRequest } from './request.js';

/**
 * One LoginShare login, top to bottom: realm checks → throttle → connectors → rules → profile → XML.
 * Returns the XML Kayako will read and the facts for the audit line; it throws only on a bug.
 */
export interface LoginResult {
  xml: string;
  /** Low-cardinality outcome label (metrics) and audit field. */
  outcome: LoginResultOutcome;
  connectorId?: string;
  rule?: string | null;
  /** Operator-facing detail (never a credential); goes to the audit/log line, never to Kayako. */
  detail?: string;
  /** Set when the failure is the operator's to fix (log at error level). */
  operatorError?: Error;
  lockedNow?: boolean;
  usergroup?: string;
  team?: string;
}

export type LoginResultOutcome =
  | Exclude<LoginOutcome['kind'], 'unknown_user'>
  | 'denied'
  | 'rate_limited'
  | 'throttled_locked'
  | 'interface_refused'
  | 'audience_refused'
  | 'incomplete_profile';

export interface LoginFlowDeps {
  throttle: LoginThrottle;
  loginTimeoutMs: number;
  /** Called after each connector returns, for metrics. */
  onConnectorDone?(connectorId: string, outcome: string, seconds: number): void;
}

/**
 * The realm's own refusals, before any connector is asked: an audience it does not serve, a staff interface it
 * does not admit (`staff.interfaces`, and `allowAdmin` for the Admin CP). `explain` asks the same question.
 */
export function refusedByRealm(realm: Pick<Realm, 'id' | 'serves' | 'staffInterfaceAllowed'>, audience: Audience, staffInterface: string | undefined): LoginResult | undefined {
  if (!realm.serves(audience)) {
    return fail('audience_refused', MESSAGES.unavailable, { detail: `realm ${realm.id} does not serve ${audience} logins` });
  }
  if (audience === 'staff' && !realm.staffInterfaceAllowed(staffInterface ?? '')) {
    return fail('interface_refused', MESSAGES.staffInterfaceRefused, { detail: `interface "${staffInterface}" not allowed` });
  }
  return undefined;
}

export async function runLogin(realm: Realm, request: LoginShareRequest, deps: LoginFlowDeps): Promise<LoginResult> {
  const refused = refusedByRealm(realm, request.audience, request.staffInterface);
  if (refused) return refused;

  const throttle = deps.throttle.forLogin(realm.id, request.username);
  const verdict = await throttle.admit(request.endUserIp);
  if (verdict === 'locked') return fail('throttled_locked', MESSAGES.locked, { detail: 'username locked by the bridge' });
  if (verdict !== 'allowed') return fail('rate_limited', MESSAGES.rateLimited, { detail: verdict });

  const attempt: LoginAttempt = {
    username: request.username,
    password: request.password,
    endUserIp: request.endUserIp,
    audience: request.audience,
    realmId: realm.id,
    // Always present (possibly undefined), so every attempt object has one shape.
    staffInterface: request.staffInterface,
  };
  const { outcome, connectorId } = await askConnectors(realm.connectorsFor(request.username), attempt, deps);

  switch (outcome.kind) {
    case 'ok': {
      await throttle.recordSuccess();
      const decision = evaluateRules(realm.rules(), {
        audience: request.audience,
        identity: outcome.identity,
        realmId: realm.id,
        staffInterface: request.staffInterface,
      });
      return answerIdentity(request.audience, outcome.identity, decision, connectorId);
    }
    case 'invalid_credentials':
    case 'unknown_user': {
      const lockedNow = await throttle.recordFailure();
      return fail('invalid_credentials', INVALID_CREDENTIALS, { connectorId, lockedNow });
    }
    case 'mfa_required':
    case 'locked':
    case 'disabled':
    case 'password_expired':
      return fail(outcome.kind, outcome.concealed ? INVALID_CREDENTIALS : messageForOutcome(outcome.kind), {
        connectorId,
        detail: outcome.concealed ? `${outcome.detail ?? outcome.kind} (shown to the person as wrong credentials)` : outcome.detail,
      });
    case 'misconfigured':
    case 'unavailable':
      return fail(outcome.kind, messageForOutcome(outcome.kind), {
        connectorId,
        detail: outcome.cause.message,
        operatorError: outcome.cause,
      });
  }
}

/**
 * The first connector that knows the username decides; `unknown_user` passes to the next. All of them share
 * one deadline. Also what `explain --login` runs.
 */
export async function askConnectors(
  connectors: readonly PasswordConnector[],
  attempt: LoginAttempt,
  deps: Pick<LoginFlowDeps, 'loginTimeoutMs' | 'onConnectorDone'>,
): Promise<{ outcome: LoginOutcome; connectorId?: string }> {
  // One timer for the race below; upstream calls bound themselves by the time left (login/deadline.ts).
  const deadline = deadlineIn(deps.loginTimeoutMs, 'login deadline reached');
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(resolve, deps.loginTimeoutMs, DEADLINE);
    timer.unref();
  });
  try {
    for (const connector of connectors) {
      if (connector.hasAccount?.(attempt.username) === false) continue;
      const started = performance.now();
      let outcome: LoginOutcome;
      try {
        // The connector bounds its own upstream calls by the deadline; the race makes sure one that does not
        // cannot hold the answer.
        const answer = await Promise.race([connector.login(attempt, deadline), reached]);
        outcome = answer === DEADLINE ? timedOut(connector) : answer;
      } catch (err) {
        if (deadline.remainingMs() > 0) throw err;
        outcome = timedOut(connector);
      }
      deps.onConnectorDone?.(connector.id, outcome.kind, (performance.now() - started) / 1000);
      if (outcome.kind !== 'unknown_user') return { outcome, connectorId: connector.id };
    }
    return { outcome: { kind: 'unknown_user' } };
  } finally {
    clearTimeout(timer);
    deadline.dispose();
  }
}

const DEADLINE = Symbol('login deadline reached');

function timedOut(connector: PasswordConnector): LoginOutcome {
  return { kind: 'unavailable', cause: new Error(`${connector.id}: no answer within the login deadline`) };
}

/** The answer for an authenticated identity once the rules have decided (also what `explain` prints). */
export function answerIdentity(
  audience: LoginShareRequest['audience'],
  identity: Identity,
  decision: RuleDecision,
  connectorId: string | undefined,
): LoginResult {
  if (decision.kind === 'deny') {
    return fail('denied', decision.message, { connectorId, rule: decision.rule });
  }
  if (audience === 'user') {
    const built = buildUserProfile(identity, decision.profile);
    if (built.kind === 'incomplete') return incomplete(built.missing, connectorId, decision.rule);
    return {
      xml: renderUserSuccess(built.profile),
      outcome: 'ok',
      rule: decision.rule,
      usergroup: built.profile.usergroup,
      ...(connectorId ? { connectorId } : {}),
    };
  }
  const built = buildStaffProfile(identity, decision.profile);
  if (built.kind === 'incomplete') return incomplete(built.missing, connectorId, decision.rule);
  return {
    xml: renderStaffSuccess(built.profile),
    outcome: 'ok',
    rule: decision.rule,
    team: built.profile.team,
    ...(connectorId ? { connectorId } : {}),
  };
}

function incomplete(missing: 'email' | 'team', connectorId: string | undefined, rule: string | null): LoginResult {
  if (missing === 'email') {
    return fail('incomplete_profile', MESSAGES.noEmail, { connectorId, rule, detail: 'identity has no verified email' });
  }
  const operatorError = new Error('no team for this staff login: set defaults.staff.team or a rule that sets team');
  return fail('incomplete_profile', MESSAGES.unavailable, { connectorId, rule, detail: operatorError.message, operatorError });
}

function fail(
  outcome: LoginResultOutcome,
  message: string,
  extra: { connectorId?: string | undefined; rule?: string | null; detail?: string | undefined; operatorError?: Error; lockedNow?: boolean } = {},
): LoginResult {
  const result: LoginResult = { xml: renderFailure(message), outcome };
  if (extra.connectorId) result.connectorId = extra.connectorId;
  if (extra.rule !== undefined) result.rule = extra.rule;
  if (extra.detail) result.detail = extra.detail;
  if (extra.operatorError) result.operatorError = extra.operatorError;
  if (extra.lockedNow) result.lockedNow = true;
  return result;
}
