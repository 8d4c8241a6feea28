/**
 * A group source could not say which groups a person has. The connector turns it into `unavailable`:
 * logging someone in with an incomplete group list could put them in the wrong Kayako group or team.
 * The message is for the operator (what failed, what to fix); it never contains a token.
 */
export class GroupLookupError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GroupLookupError';
  }
}
