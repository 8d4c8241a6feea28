/**
 * An error as a log line carries it: its type (the class, so `OidcConnectorError` and `TypeError` stay apart),
 * message, code, stack, and the errors it wraps (`cause`), a few deep. Built field by field, never by copying the
 * error's own properties: an HTTP client's error can hold the request it failed on.
 */
export interface ErrorFields {
  type: string;
  message: string;
  code?: string | number;
  stack?: string;
  cause?: ErrorFields;
}

const MAX_CAUSES = 3;

export function errorFields(err: unknown, depth = 0): ErrorFields {
  if (!(err instanceof Error)) return { type: typeof err, message: String(err) };
  const fields: ErrorFields = { type: errorType(err), message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  if (err.stack) fields.stack = err.stack;
  if (err.cause !== undefined && depth < MAX_CAUSES) fields.cause = errorFields(err.cause, depth + 1);
  return fields;
}

/** The error's class: its `name` when it sets one, else its constructor's (a subclass that leaves name as "Error"). */
function errorType(err: Error): string {
  if (err.name && err.name !== 'Error') return err.name;
  const constructorName = (err.constructor as { name?: unknown } | undefined)?.name;
  return typeof constructorName === 'string' && constructorName ? constructorName : 'Error';
}
