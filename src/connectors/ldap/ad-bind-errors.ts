import type { LoginOutcome } from '../../login/vocabulary.js';

/**
 * Active Directory refuses a simple bind with result 49 (invalidCredentials) and says why only in the diagnostic
 * message, e.g. `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563`.
 * The `data` value is a Win32 system error code in hex (Microsoft's "System Error Codes",
 * https://learn.microsoft.com/en-us/windows/win32/debug/system-error-codes--1300-1699- and …--1700-3999-):
 *   525 = 1317 ERROR_NO_SUCH_USER · 52e = 1326 ERROR_LOGON_FAILURE · 530 = 1328 ERROR_INVALID_LOGON_HOURS ·
 *   531 = 1329 ERROR_INVALID_WORKSTATION · 532 = 1330 ERROR_PASSWORD_EXPIRED · 533 = 1331 ERROR_ACCOUNT_DISABLED ·
 *   701 = 1793 ERROR_ACCOUNT_EXPIRED · 773 = 1907 ERROR_PASSWORD_MUST_CHANGE · 775 = 1909 ERROR_ACCOUNT_LOCKED_OUT.
 * AD reports 530–533, 701 and 773 only after the password checked out, so telling the person is safe; 775 comes
 * whatever the password.
 */
type BindRefusal = Exclude<LoginOutcome['kind'], 'ok' | 'misconfigured' | 'unavailable'>;

export interface AdBindError {
  subCode: string;
  kind: BindRefusal;
  /** For the audit line: what AD said, in words. */
  detail: string;
}

const AD_SUB_CODES: Record<string, { kind: BindRefusal; detail: string }> = {
  '525': { kind: 'unknown_user', detail: 'no such user (AD data 525)' },
  '52e': { kind: 'invalid_credentials', detail: 'wrong password (AD data 52e)' },
  '530': { kind: 'disabled', detail: 'logon not permitted at this time (AD data 530, logon hours)' },
  '531': { kind: 'disabled', detail: 'logon not permitted from this workstation (AD data 531, userWorkstations)' },
  '532': { kind: 'password_expired', detail: 'password expired (AD data 532)' },
  '533': { kind: 'disabled', detail: 'account disabled (AD data 533)' },
  '701': { kind: 'disabled', detail: 'account expired (AD data 701, accountExpires)' },
  '773': { kind: 'password_expired', detail: 'password must be changed at next logon (AD data 773)' },
  '775': { kind: 'locked', detail: 'account locked out (AD data 775)' },
};

const DATA_SUB_CODE = /\bdata ([0-9a-f]{3,8})\b/i;

/** The AD refusal a bind's diagnostic message names, or undefined when it names none this table knows. */
export function readAdBindError(diagnosticMessage: string): AdBindError | undefined {
  const match = DATA_SUB_CODE.exec(diagnosticMessage);
  if (!match) return undefined;
  const subCode = match[1]!.toLowerCase().replace(/^0+(?=[0-9a-f]{3})/, '');
  const row = AD_SUB_CODES[subCode];
  return row ? { subCode, ...row } : undefined;
}
