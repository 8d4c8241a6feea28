import type { LoginOutcomeKind } from '../login/vocabulary.js';
import { DEFAULT_UNMATCHED_MESSAGE } from '../rules/rule-set.js';

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

/**
 * The texts a realm may set (`realms[].messages`), one per outcome the person can tell apart. A realm in another
 * language sets `invalidCredentials` to its Kayako's phrase for a bad login, so that Kayako's lockout still
 * counts the failures.
 */
export interface LoginMessages {
  readonly invalidCredentials: string;
  readonly mfaRequired: string;
  readonly locked: string;
  readonly disabled: string;
  readonly passwordExpired: string;
  readonly rateLimited: string;
  /** Unmatched logins the rules deny, when the rules file sets no `unmatchedMessage`. */
  readonly deniedByDefault: string;
  readonly unavailable: string;
  /** A staff login typed in another form than the realm's `staff.usernameForm`; `{username}` is the form to use. */
  readonly staffUsernameForm: string;
  /** None of the person's emails is in the realm's `linking.emailDomains`. */
  readonly emailNotAllowed: string;
}

export type LoginMessageKey = keyof LoginMessages;

/**
 * English. Only Kayako's English phrase for a bad login is documented (protocol note, "Failure"), so no
 * translations ship: for another language the operator copies the phrase from the Kayako instance.
 */
export const DEFAULT_LOGIN_MESSAGES: LoginMessages = {
  invalidCredentials: INVALID_CREDENTIALS,
  mfaRequired: MESSAGES.mfa_required,
  locked: MESSAGES.locked,
  disabled: MESSAGES.disabled,
  passwordExpired: MESSAGES.password_expired,
  rateLimited: MESSAGES.rateLimited,
  deniedByDefault: DEFAULT_UNMATCHED_MESSAGE,
  unavailable: MESSAGES.unavailable,
  staffUsernameForm: 'Please sign in with the username {username}, so that you keep a single staff account.',
  emailNotAllowed: 'Your account has no email address this help desk accepts. Please contact your IT help desk.',
};

/** The staff-username message with the form to use filled in. */
export function staffUsernameMessage(messages: LoginMessages, username: string): string {
  return messages.staffUsernameForm.replaceAll('{username}', username);
}

const resolved = new WeakMap<object, LoginMessages>();

/** A realm's texts over the English defaults; resolved once per realm config, not per login. */
export function realmMessages(config: { readonly messages?: { readonly [K in LoginMessageKey]?: string | undefined } | undefined }): LoginMessages {
  const overrides = config.messages;
  if (!overrides) return DEFAULT_LOGIN_MESSAGES;
  let messages = resolved.get(config);
  if (!messages) {
    const set = Object.entries(overrides).filter((entry): entry is [LoginMessageKey, string] => typeof entry[1] === 'string');
    resolved.set(config, (messages = { ...DEFAULT_LOGIN_MESSAGES, ...Object.fromEntries(set) }));
  }
  return messages;
}

/** The message for a connector's failure outcome; operator faults get a short service message, never detail. */
export function messageForOutcome(kind: Exclude<LoginOutcomeKind, 'ok'>, messages: LoginMessages = DEFAULT_LOGIN_MESSAGES): string {
  switch (kind) {
    case 'invalid_credentials':
    case 'unknown_user':
      return messages.invalidCredentials;
    case 'mfa_required':
      return messages.mfaRequired;
    case 'locked':
      return messages.locked;
    case 'disabled':
      return messages.disabled;
    case 'password_expired':
      return messages.passwordExpired;
    case 'misconfigured':
    case 'unavailable':
      return messages.unavailable;
  }
}
