import type { Deadline } from './deadline.js';
import type { LoginAttempt, LoginOutcome } from './vocabulary.js';

/**
 * The whole contract a way of checking a password has to meet (OIDC, LDAP, SAML ECP, local accounts …).
 * Expected failures are values of `LoginOutcome`, never exceptions: a connector throws only on a bug, and the
 * gateway's outer guard turns that into a `result 0` answer.
 */
export interface PasswordConnector {
  /** As named in the config file; appears in audit lines and metrics. */
  readonly id: string;
  /** The connector type string from the config file (`oidc`, `local`, …). */
  readonly type: string;
  /**
   * Optional: whether this connector has an account for `username`, answered from memory. One that says no is
   * skipped without being asked, so break-glass local accounts, consulted first, cost the other logins nothing.
   */
  hasAccount?(username: string): boolean;
  /** Bounds every upstream call by `deadline` (the login's, shared by all connectors asked). */
  login(attempt: LoginAttempt, deadline: Deadline): Promise<LoginOutcome>;
  /** Optional warm-up (discovery, key fetch) so the first login is not the slow one; drives readiness. */
  prepare?(deadline: Deadline): Promise<void>;
  /**
   * Optional: one cheap, uncached request that resolves when the IdP answers now (whatever the status) and rejects
   * when it does not, within `deadline`. An open circuit breaker calls it in the background to notice the IdP is
   * back without sending a real login into an outage.
   */
  probe?(deadline: Deadline): Promise<void>;
  /** Releases sockets and timers. */
  close?(): Promise<void>;
}
