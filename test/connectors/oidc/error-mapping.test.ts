import { describe, expect, it } from 'vitest';
import { classifyTokenError, type ErrorDialect, type TokenErrorBody } from '../../../src/connectors/oidc/error-mapping.js';

/**
 * Every IdP error issue 3 names, as the IdP sends it, and what the person / operator gets. Entra bodies use
 * the `error` each code really comes with, but the mapping must key on `error_codes` alone; the
 * descriptions are deliberately misleading to prove they are never read for Entra, Okta or Auth0.
 */
type Expected = ReturnType<typeof classifyTokenError>['kind'];

const entra = (code: number, error = 'invalid_grant', status = 400): TokenErrorBody => ({
  status,
  error,
  description: `AADSTS${code}: (text Microsoft may change at any time; says "Invalid username or password")`,
  codes: [code],
});

const ENTRA_CASES: Array<[string, TokenErrorBody, Expected]> = [
  ['50126 invalid username or password', entra(50126), 'invalid_credentials'],
  ['50034 user does not exist', entra(50034), 'invalid_credentials'],
  ['50076 MFA required by policy', entra(50076, 'interaction_required'), 'mfa_required'],
  ['50079 MFA registration required', entra(50079, 'interaction_required'), 'mfa_required'],
  ['50072 MFA enrollment required', entra(50072, 'interaction_required'), 'mfa_required'],
  ['50074 strong authentication required', entra(50074, 'interaction_required'), 'mfa_required'],
  ['50053 locked / blocked', entra(50053), 'locked'],
  ['50057 user disabled', entra(50057), 'disabled'],
  ['50055 password expired', entra(50055), 'password_expired'],
  ['50144 AD password expired', entra(50144), 'password_expired'],
  ['53003 blocked by Conditional Access', entra(53003, 'interaction_required'), 'mfa_required'],
  ['530035 blocked by security defaults', entra(530035, 'interaction_required'), 'mfa_required'],
  ['65001 consent missing', entra(65001), 'misconfigured'],
  ['700016 application not found', entra(700016, 'unauthorized_client'), 'misconfigured'],
  ['7000218 client secret required', entra(7000218, 'invalid_client', 401), 'misconfigured'],
  ['7000215 invalid client secret', entra(7000215, 'invalid_client', 401), 'misconfigured'],
  ['7000222 client secret expired', entra(7000222, 'invalid_client', 401), 'misconfigured'],
  ['90002 tenant not found', entra(90002, 'invalid_request'), 'misconfigured'],
  ['9001023 ROPC on common/consumers', entra(9001023, 'invalid_request'), 'misconfigured'],
  ['700025 public client sent a secret', entra(700025, 'invalid_client', 401), 'misconfigured'],
];

const body = (status: number, error: string, description?: string): TokenErrorBody => ({
  status,
  error,
  ...(description !== undefined ? { description } : {}),
  codes: [],
});

const OTHER_CASES: Array<[ErrorDialect, string, TokenErrorBody, Expected]> = [
  // The exact bodies a real Keycloak 26 sends (test/integration/keycloak-wire.test.ts checks them on the wire).
  ['keycloak', 'wrong password / unknown user / brute-force locked', body(401, 'invalid_grant', 'Invalid user credentials'), 'invalid_credentials'],
  ['keycloak', 'disabled account', body(400, 'invalid_grant', 'Account disabled'), 'disabled'],
  ['keycloak', 'pending required action', body(400, 'invalid_grant', 'Account is not fully set up'), 'password_expired'],
  ['keycloak', 'direct access grants off', body(400, 'unauthorized_client', 'Client not allowed for direct access grants'), 'misconfigured'],
  ['keycloak', 'wrong client secret', body(401, 'unauthorized_client', 'Invalid client or Invalid client credentials'), 'misconfigured'],
  ['okta', 'wrong password', body(400, 'invalid_grant', 'The credentials provided were invalid.'), 'invalid_credentials'],
  ['okta', 'MFA required', body(400, 'mfa_required', 'Invalid user credentials'), 'mfa_required'],
  ['okta', 'password grant not enabled', body(400, 'unauthorized_client', 'The client is not authorized to use the provided grant type.'), 'misconfigured'],
  ['okta', 'not assigned / policy denies', body(400, 'access_denied', 'Policy evaluation failed for this request.'), 'disabled'],
  ['auth0', 'wrong password', body(403, 'invalid_grant', 'Wrong email or password.'), 'invalid_credentials'],
  ['auth0', 'MFA required', body(403, 'mfa_required', 'Multifactor authentication required'), 'mfa_required'],
  ['auth0', 'MFA enrollment required', body(403, 'mfa_registration_required', 'Invalid user credentials'), 'mfa_required'],
  ['auth0', 'brute-force blocked', body(429, 'too_many_attempts', 'Your account has been blocked after multiple consecutive login attempts.'), 'locked'],
  ['auth0', 'blocked user', body(401, 'unauthorized', 'user is blocked'), 'disabled'],
  ['auth0', 'breached password', body(403, 'password_leaked', 'Invalid user credentials'), 'password_expired'],
  ['adfs', 'wrong password', body(400, 'invalid_grant', "MSIS9659: Invalid 'username' or 'password'."), 'invalid_credentials'],
  ['adfs', 'client not allowed', body(400, 'unauthorized_client', 'MSIS9622: Client application is not authorized.'), 'misconfigured'],
  ['generic', 'RFC 6749 invalid_grant', body(400, 'invalid_grant'), 'invalid_credentials'],
  ['generic', 'RFC 6749 invalid_client', body(401, 'invalid_client'), 'misconfigured'],
  ['generic', 'RFC 6749 unsupported_grant_type', body(400, 'unsupported_grant_type'), 'misconfigured'],
  ['generic', 'RFC 6749 temporarily_unavailable', body(503, 'temporarily_unavailable'), 'unavailable'],
  ['generic', 'an unknown error on HTTP 502', body(502, 'bad_gateway_thing'), 'unavailable'],
  ['generic', 'an unknown error on HTTP 400', body(400, 'something_new'), 'misconfigured'],
];

describe('IdP error mapping', () => {
  it.each(ENTRA_CASES)('entra %s', (_name, error, expected) => {
    expect(classifyTokenError('entra', error).kind).toBe(expected);
  });

  it.each(OTHER_CASES)('%s: %s', (dialect, _name, error, expected) => {
    expect(classifyTokenError(dialect, error).kind).toBe(expected);
  });

  it('tells the operator what to fix for every Entra misconfiguration code', () => {
    for (const [name, error, expected] of ENTRA_CASES) {
      if (expected !== 'misconfigured') continue;
      expect(classifyTokenError('entra', error).hint ?? '', name).toMatch(/.{15,}/);
    }
    expect(classifyTokenError('entra', entra(7000215, 'invalid_client', 401)).hint).toMatch(/secret VALUE/);
    expect(classifyTokenError('entra', entra(9001023, 'invalid_request')).hint).toMatch(/tenant id or organizations/);
  });

  it('never reads an Entra description: a wrong-password text with a lockout code is a lockout', () => {
    expect(classifyTokenError('entra', { ...entra(50053), description: 'AADSTS50126: Invalid username or password' }).kind).toBe('locked');
  });

  it('does not call an unknown Entra code a wrong password, and points the operator at the code', () => {
    const classified = classifyTokenError('entra', entra(50199, 'invalid_grant'));
    expect(classified.kind).toBe('misconfigured');
    expect(classified.hint).toContain('https://login.microsoftonline.com/error?code=50199');
    expect(classifyTokenError('entra', entra(90033, 'temporarily_unavailable', 503)).kind).toBe('unavailable');
  });

  it('tells apart the two Keycloak unauthorized_client causes in the hint', () => {
    expect(classifyTokenError('keycloak', body(400, 'unauthorized_client', 'Client not allowed for direct access grants')).hint).toMatch(/Direct access grants/);
    expect(classifyTokenError('keycloak', body(401, 'unauthorized_client', 'Invalid client or Invalid client credentials')).hint).toMatch(/secret/);
  });
});
