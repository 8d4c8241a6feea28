import type { LoginOutcome } from '../connector.js';

/**
 * Turns an IdP's token-endpoint error into a login outcome. Keyed on machine-readable codes (`error`, Entra's
 * `error_codes`) wherever the IdP has them — Microsoft says its descriptions change. Keycloak has only
 * descriptions, and they are stable strings in its source, so its rows match those.
 */
export type ErrorDialect = 'generic' | 'keycloak' | 'entra' | 'okta' | 'auth0' | 'adfs';

export interface TokenErrorBody {
  status: number;
  error: string;
  description?: string;
  /** Entra's `error_codes` array (AADSTS numbers). */
  codes: number[];
}

type FailureKind = Exclude<LoginOutcome['kind'], 'ok'>;

interface ErrorRow {
  error?: string;
  code?: number;
  description?: RegExp;
  kind: FailureKind;
  /** For the operator's log: what to fix. */
  hint?: string;
}

const ENTRA: ErrorRow[] = [
  { code: 50126, kind: 'invalid_credentials' },
  { code: 50034, kind: 'invalid_credentials' },
  { code: 50076, kind: 'mfa_required', hint: 'Conditional Access requires MFA; ROPC cannot do MFA' },
  { code: 50079, kind: 'mfa_required', hint: 'the user must register for MFA' },
  { code: 50072, kind: 'mfa_required', hint: 'the user must enroll in MFA' },
  { code: 50074, kind: 'mfa_required', hint: 'strong authentication required' },
  { code: 50158, kind: 'mfa_required', hint: 'external security challenge not satisfied' },
  { code: 53003, kind: 'mfa_required', hint: 'blocked by a Conditional Access policy' },
  { code: 530035, kind: 'mfa_required', hint: 'blocked by security defaults' },
  { code: 50053, kind: 'locked', hint: 'account locked (smart lockout) or sign-in blocked for a malicious IP' },
  { code: 50057, kind: 'disabled' },
  { code: 50055, kind: 'password_expired' },
  { code: 50144, kind: 'password_expired', hint: 'Active Directory password expired' },
  { code: 65001, kind: 'misconfigured', hint: 'admin consent missing: grant consent for the app registration' },
  { code: 700016, kind: 'misconfigured', hint: 'application (client) id not found in this tenant' },
  { code: 7000218, kind: 'misconfigured', hint: 'client secret or assertion required: set clientSecret, or enable "Allow public client flows"' },
  { code: 7000215, kind: 'misconfigured', hint: 'invalid client secret: use the secret VALUE, not its id' },
  { code: 7000222, kind: 'misconfigured', hint: 'client secret expired: create a new one' },
  { code: 90002, kind: 'misconfigured', hint: 'tenant not found: check the tenant id in the issuer' },
  { code: 9001023, kind: 'misconfigured', hint: 'ROPC is refused on the common/consumers endpoints: use the tenant id or organizations' },
  { code: 700025, kind: 'misconfigured', hint: 'public client must not send a secret: remove clientSecret or make the app confidential' },
  { code: 50059, kind: 'misconfigured', hint: 'no tenant in the request: use a tenant-specific issuer' },
  { code: 50056, kind: 'invalid_credentials', hint: 'user has no password in Entra (federated or passwordless)' },
];

const KEYCLOAK: ErrorRow[] = [
  { error: 'invalid_grant', description: /^Account disabled$/i, kind: 'disabled' },
  {
    error: 'invalid_grant',
    description: /^Account is not fully set up$/i,
    kind: 'password_expired',
    hint: 'the user has a pending required action (update password, verify email, configure OTP)',
  },
  { error: 'invalid_grant', description: /^Account temporarily disabled$/i, kind: 'locked' },
  { error: 'invalid_grant', kind: 'invalid_credentials' },
  { error: 'unauthorized_client', kind: 'misconfigured', hint: 'enable "Direct access grants" on the Keycloak client' },
];

const OKTA: ErrorRow[] = [
  { error: 'invalid_grant', kind: 'invalid_credentials' },
  { error: 'unauthorized_client', kind: 'misconfigured', hint: 'enable the Resource Owner Password grant on the Okta app' },
  { error: 'access_denied', kind: 'disabled', hint: 'the user is not assigned to the app or a policy denies access' },
];

const AUTH0: ErrorRow[] = [
  { error: 'invalid_grant', kind: 'invalid_credentials' },
  { error: 'invalid_user_password', kind: 'invalid_credentials' },
  { error: 'mfa_required', kind: 'mfa_required' },
  { error: 'too_many_attempts', kind: 'locked', hint: 'Auth0 brute-force protection blocked this user/IP' },
  { error: 'unauthorized', description: /blocked/i, kind: 'disabled' },
  { error: 'password_leaked', kind: 'password_expired', hint: 'Auth0 breached-password detection' },
];

const ADFS: ErrorRow[] = [
  { error: 'invalid_grant', description: /MSIS9659|Invalid .*password/i, kind: 'invalid_credentials' },
  { error: 'invalid_grant', kind: 'invalid_credentials' },
];

// Any IdP: RFC 6749 §5.2 codes plus the common MFA ones.
const GENERIC: ErrorRow[] = [
  { error: 'invalid_grant', kind: 'invalid_credentials' },
  { error: 'mfa_required', kind: 'mfa_required' },
  { error: 'interaction_required', kind: 'mfa_required' },
  { error: 'invalid_client', kind: 'misconfigured', hint: 'client authentication failed: check clientId / clientSecret / clientAuth' },
  { error: 'unauthorized_client', kind: 'misconfigured', hint: 'this client may not use the password grant' },
  { error: 'unsupported_grant_type', kind: 'misconfigured', hint: 'the IdP does not allow the password grant for this client' },
  { error: 'invalid_scope', kind: 'misconfigured', hint: 'check the configured scopes' },
  { error: 'invalid_request', kind: 'misconfigured', hint: 'the IdP rejected the request as malformed' },
  { error: 'temporarily_unavailable', kind: 'unavailable' },
  { error: 'server_error', kind: 'unavailable' },
];

const TABLES: Record<ErrorDialect, ErrorRow[]> = {
  generic: GENERIC,
  keycloak: KEYCLOAK,
  entra: ENTRA,
  okta: OKTA,
  auth0: AUTH0,
  adfs: ADFS,
};

export interface ClassifiedTokenError {
  kind: FailureKind;
  hint?: string;
}

export function classifyTokenError(dialect: ErrorDialect, body: TokenErrorBody): ClassifiedTokenError {
  for (const table of [TABLES[dialect], GENERIC]) {
    for (const row of table) {
      if (row.error !== undefined && row.error !== body.error) continue;
      if (row.code !== undefined && !body.codes.includes(row.code)) continue;
      if (row.description !== undefined && !row.description.test(body.description ?? '')) continue;
      return row.hint ? { kind: row.kind, hint: row.hint } : { kind: row.kind };
    }
  }
  if (body.status >= 500 || body.status === 429) return { kind: 'unavailable' };
  return { kind: 'misconfigured', hint: `unrecognised IdP error "${body.error}" (HTTP ${body.status})` };
}
