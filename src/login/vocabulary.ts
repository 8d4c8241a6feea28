/**
 * The words every layer of a login shares — the attempt, its audience, the identity a connector returns and the
 * outcome — kept here, apart from the layers, so that the protocol layer, the realms, the groups and the rules
 * never import a connector. It imports nothing.
 */

export interface LoginAttempt {
  readonly username: string;
  /** Never logged, never cached, never put into an Error message. */
  readonly password: string;
  /** The end user's address as Kayako reported it (`ipaddress`); may be empty. */
  readonly endUserIp: string;
  readonly audience: Audience;
  /** The realm the login came through: part of every cache key. */
  readonly realmId: string;
  /** Staff logins only: the Kayako interface (`staff`, `admin`, `winapp`, …). */
  readonly staffInterface?: string;
}

export type Audience = 'user' | 'staff';

export type LoginOutcome =
  | { kind: 'ok'; identity: Identity }
  /** Wrong username or password: answered with Kayako's exact phrase so its own lockout counts it. */
  | { kind: 'invalid_credentials' }
  /**
   * This connector has no such account, so the realm may ask the next one (break-glass local accounts are
   * consulted first and must not swallow everyone else). Answered like `invalid_credentials` when none knows it.
   */
  | { kind: 'unknown_user' }
  /**
   * The person's account needs something the password grant cannot give; `detail` is safe to log.
   * `concealed`: the IdP says this whatever password was typed (Keycloak's "Account disabled"), so telling the
   * person would confirm the account to anyone guessing usernames — Kayako gets the wrong-credentials phrase
   * and only the audit line records the real reason.
   */
  | { kind: 'mfa_required' | 'locked' | 'disabled' | 'password_expired'; detail?: string; concealed?: boolean }
  /** The operator's problem (bad client secret, grant not enabled) or the IdP's (down, slow). */
  | { kind: 'misconfigured' | 'unavailable'; cause: Error };

export type LoginOutcomeKind = LoginOutcome['kind'];

/** What every connector produces, whatever the IdP. */
export interface Identity {
  /** Stable, IdP-unique id (OIDC `sub`, LDAP DN, …): the group-cache key. */
  subject: string;
  /** The username as the IdP knows it (may differ from what was typed). */
  username: string;
  /** Verified addresses only, lower-cased, de-duplicated, primary first. May be empty. */
  emails: string[];
  /**
   * Verified addresses from the connector's other email sources (aliases), kept apart from `emails`: Kayako adds
   * every address it is sent to the matched account, so they are sent only where the realm opts in.
   */
  aliasEmails?: string[];
  givenName?: string;
  familyName?: string;
  displayName?: string;
  phone?: string;
  groups: string[];
  /** Every claim / attribute the IdP returned, for rules and templates. Never holds a credential. */
  claims: Record<string, unknown>;
  connectorId: string;
}

export function isSuccess(outcome: LoginOutcome): outcome is { kind: 'ok'; identity: Identity } {
  return outcome.kind === 'ok';
}
