import type { Audience, Identity, LoginAttempt, LoginOutcome } from '../login/vocabulary.js';
import type { PasswordConnector } from '../login/password-connector.js';
import { deadlineIn } from '../login/deadline.js';
import { isIdpOutage } from '../login/outage.js';
import type { Realm } from '../realm/realm.js';
import { evaluateRules, type RuleDecision, type RuleSet } from '../rules/index.js';
import type { LoginThrottle } from '../security/login-throttle.js';
import { renderFailure, renderStaffSuccess, renderUserSuccess } from './answer.js';
import { canonicalStaffUsername, linkableEmails, sameStaffUsername } from './account-linking.js';
import { DEFAULT_LOGIN_MESSAGES, MESSAGES, messageForOutcome, realmMessages, staffUsernameMessage, type LoginMessages } from './messages.js';
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
  /** Staff logins of a realm with a `staff.usernameForm`: the username the person's staff account has. */
  canonicalUsername?: string;
}

export type LoginResultOutcome =
  | Exclude<LoginOutcome['kind'], 'unknown_user'>
  | 'denied'
  | 'rate_limited'
  | 'throttled_locked'
  | 'interface_refused'
  | 'audience_refused'
  | 'incomplete_profile'
  | 'staff_username_form'
  | 'email_refused';

export interface LoginFlowDeps {
  throttle: LoginThrottle;
  loginTimeoutMs: number;
  /** Called after each connector returns, for metrics. */
  onConnectorDone?(connectorId: string, outcome: string, seconds: number): void;
  /** Called with each authenticated identity as the rules see it (the opt-in identity log); must not block. */
  onIdentity?(realmId: string, audience: LoginShareRequest['audience'], staffInterface: string | undefined, identity: Identity): void;
}

/**
 * The realm's own refusals, before any connector is asked: an audience it does not serve, a staff interface it
 * does not admit (`staff.interfaces`, and `allowAdmin` for the Admin CP). `explain` asks the same question.
 */
export function refusedByRealm(realm: Pick<Realm, 'id' | 'config' | 'serves' | 'staffInterfaceAllowed'>, audience: Audience, staffInterface: string | undefined): LoginResult | undefined {
  if (!realm.serves(audience)) {
    return fail('audience_refused', realmMessages(realm.config).unavailable, { detail: `realm ${realm.id} does not serve ${audience} logins` });
  }
  if (audience === 'staff' && !realm.staffInterfaceAllowed(staffInterface ?? '')) {
    return fail('interface_refused', MESSAGES.staffInterfaceRefused, { detail: `interface "${staffInterface}" not allowed` });
  }
  return undefined;
}

export async function runLogin(realm: Realm, request: LoginShareRequest, deps: LoginFlowDeps): Promise<LoginResult> {
  const messages = realmMessages(realm.config);
  const refused = refusedByRealm(realm, request.audience, request.staffInterface);
  if (refused) return refused;

  const throttle = deps.throttle.forLogin(realm.id, request.username);
  const verdict = await throttle.admit(request.endUserIp);
  if (verdict === 'locked') return fail('throttled_locked', messages.locked, { detail: 'username locked by the bridge' });
  if (verdict !== 'allowed') return fail('rate_limited', messages.rateLimited, { detail: verdict });

  const attempt: LoginAttempt = {
    username: request.username,
    password: request.password,
    endUserIp: request.endUserIp,
    audience: request.audience,
    realmId: realm.id,
    // Always present (possibly undefined), so every attempt object has one shape.
    staffInterface: request.staffInterface,
  };
  const { outcome, connectorId, fellBackFrom } = await askConnectors(
    realm.connectorsFor(request.username),
    attempt,
    deps,
    realm.fallbackConnectorsFor(request.username),
  );

  switch (outcome.kind) {
    case 'ok': {
      await throttle.recordSuccess();
      const checked = applyAccountPolicy(realm, request, outcome.identity, messages, connectorId);
      if ('xml' in checked) return checked;
      const { identity, canonicalUsername } = checked;
      deps.onIdentity?.(realm.id, request.audience, request.staffInterface, identity);
      const rules = realm.rules();
      const decision = evaluateRules(rules, {
        audience: request.audience,
        identity,
        realmId: realm.id,
        staffInterface: request.staffInterface,
      });
      const result = answerIdentity(request.audience, identity, withRealmDenial(rules, decision, messages), connectorId, messages);
      if (canonicalUsername !== undefined) result.canonicalUsername = canonicalUsername;
      if (fellBackFrom) result.detail = `break-glass: ${fellBackFrom} unavailable`;
      return result;
    }
    case 'invalid_credentials':
    case 'unknown_user': {
      const lockedNow = await throttle.recordFailure();
      return fail('invalid_credentials', messages.invalidCredentials, { connectorId, lockedNow });
    }
    case 'mfa_required':
    case 'locked':
    case 'disabled':
    case 'password_expired':
      return fail(outcome.kind, outcome.concealed ? messages.invalidCredentials : messageForOutcome(outcome.kind, messages), {
        connectorId,
        detail: outcome.concealed ? `${outcome.detail ?? outcome.kind} (shown to the person as wrong credentials)` : outcome.detail,
      });
    case 'misconfigured':
    case 'unavailable':
      return fail(outcome.kind, messageForOutcome(outcome.kind, messages), {
        connectorId,
        detail: outcome.cause.message,
        operatorError: outcome.cause,
      });
  }
}

/**
 * Time kept back from the connectors for the break-glass fallback, when a realm has one: a hung IdP would
 * otherwise use the whole login deadline and leave none for the accounts meant for exactly that moment.
 */
const FALLBACK_RESERVE_MS = 1_000;

/**
 * The realm's account rules, before the rules file sees the identity: a staff login must be typed in the realm's
 * one username form (else Kayako creates a second staff account for the same person), and only the emails the
 * realm's linking policy allows reach Kayako (else an alias opens someone else's account).
 */
export function applyAccountPolicy(
  realm: Pick<Realm, 'config'>,
  request: Pick<LoginShareRequest, 'audience' | 'username'>,
  identity: Identity,
  messages: LoginMessages,
  connectorId: string | undefined,
): LoginResult | { identity: Identity; canonicalUsername?: string } {
  let canonicalUsername: string | undefined;
  const form = realm.config.staff.usernameForm;
  if (request.audience === 'staff' && form !== 'as-typed') {
    canonicalUsername = canonicalStaffUsername(identity, form);
    if (canonicalUsername === undefined) {
      const operatorError = new Error(`staff.usernameForm is ${form}, but connector ${connectorId ?? '?'} gave no upn or userPrincipalName claim`);
      return fail('misconfigured', messages.unavailable, { connectorId, detail: operatorError.message, operatorError });
    }
    if (!sameStaffUsername(request.username, canonicalUsername)) {
      const refused = fail('staff_username_form', staffUsernameMessage(messages, canonicalUsername), {
        connectorId,
        detail: `typed "${request.username}", the staff account's username is "${canonicalUsername}" (${form})`,
      });
      refused.canonicalUsername = canonicalUsername;
      return refused;
    }
  }
  const linked = linkableEmails(identity, realm.config.linking);
  if (linked.kind === 'none-allowed') {
    const refused = fail('email_refused', messages.emailNotAllowed, {
      connectorId,
      detail: `no email in linking.emailDomains (left out: ${linked.dropped.join(', ')})`,
    });
    if (canonicalUsername !== undefined) refused.canonicalUsername = canonicalUsername;
    return refused;
  }
  const emails = linked.kind === 'ok' ? linked.emails : [];
  // Most logins change nothing: the identity is reused rather than copied.
  const unchanged = identity.aliasEmails === undefined && emails.length === identity.emails.length && emails.every((e, i) => e === identity.emails[i]);
  const result: { identity: Identity; canonicalUsername?: string } = { identity: unchanged ? identity : withEmails(identity, emails) };
  if (canonicalUsername !== undefined) result.canonicalUsername = canonicalUsername;
  return result;
}

/** The identity the rules and Kayako see: only the linkable emails, no aliases beside them. */
function withEmails(identity: Identity, emails: string[]): Identity {
  const { aliasEmails: _left, ...rest } = identity;
  return { ...rest, emails };
}

/**
 * The first connector that knows the username decides; `unknown_user` passes to the next. All of them share
 * one deadline. Also what `explain --login` runs.
 *
 * `fallbacks` (a realm's break-glass routes) are asked only when the decision was an IdP outage — never after an
 * answer such as "wrong password", which would let a guess against the local hash stand in for the IdP's verdict.
 * A fallback that does not know the username leaves the outage as the answer.
 */
export async function askConnectors(
  connectors: readonly PasswordConnector[],
  attempt: LoginAttempt,
  deps: Pick<LoginFlowDeps, 'loginTimeoutMs' | 'onConnectorDone'>,
  fallbacks: readonly PasswordConnector[] = [],
): Promise<{ outcome: LoginOutcome; connectorId?: string; fellBackFrom?: string }> {
  if (fallbacks.length === 0) return askInTurn(connectors, attempt, deps, deps.loginTimeoutMs);
  const started = performance.now();
  const reserveMs = Math.min(FALLBACK_RESERVE_MS, deps.loginTimeoutMs / 4);
  const first = await askInTurn(connectors, attempt, deps, deps.loginTimeoutMs - reserveMs);
  if (!isIdpOutage(first.outcome)) return first;
  const leftMs = Math.max(reserveMs, deps.loginTimeoutMs - (performance.now() - started));
  const second = await askInTurn(fallbacks, attempt, deps, leftMs);
  if (second.outcome.kind === 'unknown_user') return first;
  return { ...second, ...(first.connectorId ? { fellBackFrom: first.connectorId } : {}) };
}

async function askInTurn(
  connectors: readonly PasswordConnector[],
  attempt: LoginAttempt,
  deps: Pick<LoginFlowDeps, 'onConnectorDone'>,
  budgetMs: number,
): Promise<{ outcome: LoginOutcome; connectorId?: string }> {
  // One timer for the race below; upstream calls bound themselves by the time left (login/deadline.ts).
  const deadline = deadlineIn(budgetMs, 'login deadline reached');
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(resolve, budgetMs, DEADLINE);
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

/**
 * A rules file may serve realms in several languages: an unmatched login it denies without an `unmatchedMessage`
 * of its own gets the realm's `deniedByDefault` text.
 */
export function withRealmDenial(rules: RuleSet, decision: RuleDecision, messages: LoginMessages): RuleDecision {
  if (decision.kind !== 'deny' || decision.rule !== null || rules.unmatchedMessageFromFile) return decision;
  return { ...decision, message: messages.deniedByDefault };
}

/** The answer for an authenticated identity once the rules have decided (also what `explain` prints). */
export function answerIdentity(
  audience: LoginShareRequest['audience'],
  identity: Identity,
  decision: RuleDecision,
  connectorId: string | undefined,
  messages: LoginMessages = DEFAULT_LOGIN_MESSAGES,
): LoginResult {
  if (decision.kind === 'deny') {
    return fail('denied', decision.message, { connectorId, rule: decision.rule });
  }
  if (audience === 'user') {
    const built = buildUserProfile(identity, decision.profile);
    if (built.kind === 'incomplete') return incomplete(built.missing, connectorId, decision.rule, messages);
    return {
      xml: renderUserSuccess(built.profile),
      outcome: 'ok',
      rule: decision.rule,
      usergroup: built.profile.usergroup,
      ...(connectorId ? { connectorId } : {}),
    };
  }
  const built = buildStaffProfile(identity, decision.profile);
  if (built.kind === 'incomplete') return incomplete(built.missing, connectorId, decision.rule, messages);
  return {
    xml: renderStaffSuccess(built.profile),
    outcome: 'ok',
    rule: decision.rule,
    team: built.profile.team,
    ...(connectorId ? { connectorId } : {}),
  };
}

function incomplete(missing: 'email' | 'team', connectorId: string | undefined, rule: string | null, messages: LoginMessages): LoginResult {
  if (missing === 'email') {
    return fail('incomplete_profile', MESSAGES.noEmail, { connectorId, rule, detail: 'identity has no verified email' });
  }
  const operatorError = new Error('no team for this staff login: set defaults.staff.team or a rule that sets team');
  return fail('incomplete_profile', messages.unavailable, { connectorId, rule, detail: operatorError.message, operatorError });
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
