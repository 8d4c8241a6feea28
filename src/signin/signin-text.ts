/**
 * Every word of the sign-in page, in English, with `{placeholders}` filled in when the page is rendered. A realm
 * replaces any of them (`signin.text` in the config) for another language or its own wording.
 */
export const SIGNIN_TEXT = {
  startTitle: 'Sign in to {realm}',
  startIntro:
    'Your company asks for a stronger sign-in than a password. Sign in with your company account here and you get a one-time code to type into the {realm} login form in place of your password.',
  startUser: 'Sign in for the help center',
  startStaff: 'Sign in for staff',
  codeTitle: 'Your sign-in code',
  codeSignedInAs: 'Signed in as {name}.',
  codeLabel: 'One-time code',
  codeLifetime: 'It works once, within {lifetime}, until {time} UTC.',
  codeNextSteps: 'In the {realm} login form, type {username} as the email or username, and this code as the password.',
  codeDontShare: 'Do not share this code: it signs you in.',
  copyButton: 'Copy code',
  copyAppPassword: 'Copy app password',
  copied: 'Copied.',
  copyFailed: 'Could not copy. Select the code and copy it.',
  goToHelpdesk: 'Go to the help center',
  goToStaff: 'Go to the staff login',
  appPasswordsLink: 'App passwords for the Kayako desktop and mobile apps',
  appPasswordsTitle: 'App passwords',
  appPasswordsIntro:
    'The Kayako desktop and mobile apps cannot show your company sign-in. Make an app password for each of them here and type it in the app as your password. It works only in {interfaces}, for {days} days, until you revoke it.',
  appPasswordNew: 'Your new app password',
  appPasswordNewNote: 'Copy it now: it is shown only once.',
  appPasswordsNone: 'You have no app passwords.',
  appPasswordName: 'Name',
  appPasswordCreated: 'Created',
  appPasswordExpires: 'Expires',
  appPasswordLabel: 'Name for a new app password (for example: Laptop)',
  appPasswordCreate: 'Create app password',
  appPasswordRevoke: 'Revoke {name}',
  appPasswordRevoked: 'App password {name} revoked.',
  appPasswordTooMany: 'You have the most app passwords allowed. Revoke one first.',
  appPasswordNeedsName: 'Give the app password a name.',
  errorSessionEnded: 'Your sign-in on this page has ended. Please start again.',
  minutes: '{n} minutes',
  seconds: '{n} seconds',
  startAgain: 'Start again',
  errorTitle: 'Sign-in did not work',
  errorRefused: 'Your company sign-in did not let you in ({error}). If you cancelled, start again. If it keeps happening, ask your IT support.',
  errorExpired: 'This sign-in took too long, or it was already finished. Please start again.',
  errorCookies: 'Your browser did not send back the cookie this page needs. Allow cookies for this site, then start again.',
  errorOtherBrowser: 'This sign-in was started in another browser or tab. Please start again here.',
  errorUnavailable: 'Sign-in is not available right now. Please try again in a few minutes.',
  errorTooMany: 'Too many sign-ins from your network just now. Please wait a minute and start again.',
  errorBadRequest: 'This address is not a complete sign-in answer. Please start again.',
  errorNotFound: 'There is no sign-in page at this address.',
} as const;

export type SignInTextKey = keyof typeof SIGNIN_TEXT;
export const SIGNIN_TEXT_KEYS = Object.keys(SIGNIN_TEXT) as [SignInTextKey, ...SignInTextKey[]];

export type SignInTexts = Record<SignInTextKey, string>;

export function signInTexts(overrides: Partial<Record<SignInTextKey, string>>): SignInTexts {
  return { ...SIGNIN_TEXT, ...overrides };
}

/** Fills `{name}` placeholders; an unknown placeholder stays as written, so a typo shows on the page, not as a crash. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, name: string) => values[name] ?? whole);
}
