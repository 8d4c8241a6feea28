import type { LoginOutcomeKind } from '../login/vocabulary.js';

/**
 * What the person reads on Kayako's login page. Wrong credentials use exactly Kayako's own phrase: its
 * support-center lockout counts a failure only when the message equals it (protocol note, "Failure").
 */
export const INVALID_CREDENTIALS = 'Invalid Username or Password';

export const MESSAGES = {
  // Also Conditional Access and security-defaults blocks: the IdP wants a sign-in this form cannot give.
  mfa_required:
    'Your organization requires a stronger sign-in (such as multi-factor authentication) than this login form can do. Please contact your IT help desk.',
  locked: 'Your account is temporarily locked. Please try again later or contact your IT help desk.',
  disabled: 'Your account is disabled. Please contact your IT help desk.',
  password_expired:
    'Your password has expired or your account needs attention. Sign in to your company portal first, then try again.',
  unavailable: 'Sign-in is temporarily unavailable. Please try again in a few minutes.',
  rateLimited: 'Too many sign-in attempts. Please wait a few minutes and try again.',
  badRequest: 'The sign-in request was incomplete. Please enter your username and password.',
  callerRefused: 'Sign-in is not available: this help desk is not authorized to use the sign-in service.',
  staffInterfaceMissing:
    'The help desk sent this staff sign-in without saying which part of it (the "interface" field is missing). Please tell your help desk administrator.',
  staffInterfaceRefused: 'Signing in to this part of the help desk with your company account is not allowed.',
  unknownRealm: 'Sign-in is not available: the help desk is configured with an unknown sign-in address.',
  noEmail: 'Your account has no verified email address, which the help desk needs. Please contact your IT help desk.',
  defaultDeny: 'Your account is not allowed to sign in here.',
} as const;

/** The message for a connector's failure outcome; operator faults get a short service message, never detail. */
export function messageForOutcome(kind: Exclude<LoginOutcomeKind, 'ok'>): string {
  switch (kind) {
    case 'invalid_credentials':
    case 'unknown_user':
      return INVALID_CREDENTIALS;
    case 'mfa_required':
      return MESSAGES.mfa_required;
    case 'locked':
      return MESSAGES.locked;
    case 'disabled':
      return MESSAGES.disabled;
    case 'password_expired':
      return MESSAGES.password_expired;
    case 'misconfigured':
    case 'unavailable':
      return MESSAGES.unavailable;
  }
}
