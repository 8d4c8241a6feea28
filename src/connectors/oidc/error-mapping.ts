import type { LoginOutcome } from '../../login/vocabulary.js';

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
  /** The IdP gives this answer without checking the password: do not tell the person (see LoginOutcome). */
  concealed?: boolean;
}

// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes (also
// https://login.microsoftonline.com/error?code=N). Rows match on `error_codes`, never on the description.
const ENTRA: ErrorRow[] = [
  { code: 50126, kind: 'invalid_credentials' },
  { code: 50034, kind: 'invalid_credentials' },
  { code: 50056, kind: 'invalid_credentials', hint: 'user has no password in Entra (federated or passwordless)' },
  { code: 50076, kind: 'mfa_required', hint: 'Conditional Access requires MFA; ROPC cannot do MFA' },
  { code: 50079, kind: 'mfa_required', hint: 'the user must register for MFA' },
  { code: 50072, kind: 'mfa_required', hint: 'the user must enroll in MFA' },
  { code: 50074, kind: 'mfa_required', hint: 'strong authentication required' },
  { code: 50158, kind: 'mfa_required', hint: 'external security challenge not satisfied' },
  // Blocked by policy: ROPC cannot satisfy the grant controls (MFA, compliant device, …) a policy asks for, so the
  // person is told to use MFA-capable sign-in; the log line names the policy kind.
  { code: 53003, kind: 'mfa_required', hint: 'blocked by a Conditional Access policy (ROPC cannot satisfy its grant controls)' },
  { code: 53000, kind: 'mfa_required', hint: 'Conditional Access requires a compliant device' },
  { code: 53001, kind: 'mfa_required', hint: 'Conditional Access requires a domain-joined device' },
  { code: 530035, kind: 'mfa_required', hint: 'blocked by security defaults (they require MFA)' },
  { code: 50053, kind: 'locked', hint: 'account locked (smart lockout) or sign-in blocked for a malicious IP' },
  { code: 50057, kind: 'disabled' },
  { code: 50105, kind: 'disabled', hint: 'user is not assigned to the app ("Assignment required" is on)' },
  { code: 50055, kind: 'password_expired' },
  { code: 50144, kind: 'password_expired', hint: 'Active Directory password expired' },
  { code: 65001, kind: 'misconfigured', hint: 'consent missing: grant admin consent for the app registration\'s permissions' },
  { code: 700016, kind: 'misconfigured', hint: 'application (client) id not found in this tenant' },
  { code: 7000218, kind: 'misconfigured', hint: 'client secret or assertion required: set clientSecret, or enable "Allow public client flows"' },
  { code: 7000215, kind: 'misconfigured', hint: 'invalid client secret: use the secret VALUE, not its id' },
  { code: 7000222, kind: 'misconfigured', hint: 'client secret expired: create a new one' },
  { code: 90002, kind: 'misconfigured', hint: 'tenant not found: check the tenant id in the issuer' },
  { code: 9001023, kind: 'misconfigured', hint: 'ROPC is refused on the common/consumers endpoints: use the tenant id or organizations' },
  { code: 700025, kind: 'misconfigured', hint: 'public client must not send a secret: remove clientSecret or make the app confidential' },
  { code: 50059, kind: 'misconfigured', hint: 'no tenant in the request: use a tenant-specific issuer' },
  { code: 70011, kind: 'misconfigured', hint: 'invalid scope: check the connector\'s scopes' },
  { code: 500011, kind: 'misconfigured', hint: 'a scope names a resource that does not exist in this tenant' },
];

const KEYCLOAK: ErrorRow[] = [
  // Keycloak has no codes beyond RFC 6749's; its descriptions are fixed strings in its source
  // (org.keycloak.services.messages / the direct-grant authenticators), checked by test/integration/keycloak-wire.test.ts.
  // Keycloak answers "Account disabled" even to a wrong password (pinned by keycloak-wire.test.ts).
  { error: 'invalid_grant', description: /^Account disabled$/i, kind: 'disabled', concealed: true },
  {
    error: 'invalid_grant',
    description: /^Account is not fully set up$/i,
    kind: 'password_expired',
    hint: 'the user has a pending required action (update password, verify email, configure OTP) or a missing required profile attribute',
  },
  { error: 'invalid_grant', description: /^Account temporarily disabled$/i, kind: 'locked' },
  // Also the answer for an unknown user and for a brute-force-locked one: Keycloak keeps them indistinguishable.
  { error: 'invalid_grant', kind: 'invalid_credentials' },
  { error: 'unauthorized_client', description: /direct access grants/i, kind: 'misconfigured', hint: 'enable "Direct access grants" on the Keycloak client' },
  { error: 'unauthorized_client', description: /Invalid client/i, kind: 'misconfigured', hint: 'client id or secret wrong: compare clientSecret with the client\'s Credentials tab' },
  { error: 'unauthorized_client', kind: 'misconfigured', hint: 'enable "Direct access grants" on the Keycloak client and check its credentials' },
];

// https://developer.okta.com/docs/reference/api/oidc/#response-properties-2 and the Direct Authentication guide.
const OKTA: ErrorRow[] = [
  { error: 'invalid_grant', kind: 'invalid_credentials' },
  { error: 'mfa_required', kind: 'mfa_required', hint: 'a sign-on / authentication policy requires MFA, which the password grant cannot do' },
  { error: 'unauthorized_client', kind: 'misconfigured', hint: 'enable the Resource Owner Password grant on the Okta app' },
  { error: 'access_denied', kind: 'disabled', hint: 'the user is not assigned to the app, or an access policy denies the password grant' },
];

// https://auth0.com/docs/libraries/common-auth0-library-authentication-errors and
// https://auth0.com/docs/secure/multi-factor-authentication/authenticate-using-ropg-flow-with-mfa
const AUTH0: ErrorRow[] = [
  { error: 'invalid_grant', kind: 'invalid_credentials' },
  { error: 'invalid_user_password', kind: 'invalid_credentials' },
  { error: 'mfa_required', kind: 'mfa_required' },
  { error: 'mfa_registration_required', kind: 'mfa_required', hint: 'MFA is required and the user has not enrolled' },
  { error: 'too_many_attempts', kind: 'locked', hint: 'Auth0 brute-force protection blocked this user/IP' },
  // "user is blocked" (blocked in the dashboard), or a Rule's UnauthorizedError.
  { error: 'unauthorized', kind: 'disabled' },
  { error: 'access_denied', kind: 'disabled', hint: 'an Auth0 Action or Rule denied the login' },
  { error: 'password_leaked', kind: 'password_expired', hint: 'Auth0 breached-password detection: the user must reset the password' },
];

// AD FS 2016+: RFC 6749 codes with MSIS-numbered descriptions.
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
  concealed?: boolean;
}

export function classifyTokenError(dialect: ErrorDialect, body: TokenErrorBody): ClassifiedTokenError {
  // Entra answers `invalid_grant` / `interaction_required` for dozens of situations told apart only by the
  // AADSTS code. A code this table does not know must not fall through to "wrong password" (the person would
  // be told to retype a right password, and Kayako would count it): the operator gets the code to look up.
  if (dialect === 'entra' && body.codes.length > 0 && !ENTRA.some((row) => row.code !== undefined && body.codes.includes(row.code))) {
    if (body.status >= 500 || body.status === 429 || body.error === 'temporarily_unavailable' || body.error === 'server_error') {
      return { kind: 'unavailable' };
    }
    const codes = body.codes.join(', ');
    return { kind: 'misconfigured', hint: `unrecognised AADSTS code ${codes}: see https://login.microsoftonline.com/error?code=${body.codes[0]}` };
  }
  for (const table of [TABLES[dialect], GENERIC]) {
    for (const row of table) {
      if (row.error !== undefined && row.error !== body.error) continue;
      if (row.code !== undefined && !body.codes.includes(row.code)) continue;
      if (row.description !== undefined && !row.description.test(body.description ?? '')) continue;
      return { kind: row.kind, ...(row.hint ? { hint: row.hint } : {}), ...(row.concealed ? { concealed: true } : {}) };
    }
  }
  if (body.status >= 500 || body.status === 429) return { kind: 'unavailable' };
  return { kind: 'misconfigured', hint: `unrecognised IdP error "${body.error}" (HTTP ${body.status})` };
}
