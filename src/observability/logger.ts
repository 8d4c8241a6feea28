import { pino, type Logger, type DestinationStream } from 'pino';
import { isoTimestamp, logDestination } from './log-destination.js';
import { errorFields } from './error-fields.js';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Nothing in the bridge logs a password on purpose; the redaction below is the second
 * line of defence for a field someone adds later.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'id_token',
  '*.id_token',
];

/**
 * The audit line is flat: the LoginShare handler builds it field by field from a fixed list, with no nested
 * objects, so top-level paths guard it. Wildcard paths would cost ~18 µs per line — three times the line
 * itself, on every login.
 */
export const AUDIT_REDACTED_PATHS = REDACTED_PATHS.filter((path) => !path.includes('*'));

const CENSOR = '[redacted]';

export function createLogger(options: { level: string; destination?: DestinationStream; name?: string; redact?: string[] }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.name ?? 'loginshare-bridge' },
      timestamp: isoTimestamp,
      redact: { paths: options.redact ?? REDACTED_PATHS, censor: CENSOR },
      // `err` keeps an error's type, message, code, stack and causes (observability/error-fields.ts), and only
      // those: pino's own serializer would also copy every enumerable property of the error.
      serializers: { err: (value: unknown) => (value instanceof Error ? errorFields(value) : value) },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? logDestination({ dest: 1 }),
  );
}

/** The audit stream: one line per login, to stdout with the rest, to stderr, or to its own file. */
export function createAuditLogger(target: string, level: string, main: Logger): Logger {
  if (target === 'stdout') return main.child({ stream: 'audit' }, { redact: { paths: AUDIT_REDACTED_PATHS, censor: CENSOR } });
  const dest = target === 'stderr' ? logDestination({ dest: 2 }) : logDestination({ dest: target, mkdir: true });
  return createLogger({ level, destination: dest, name: 'loginshare-bridge-audit', redact: AUDIT_REDACTED_PATHS }).child({ stream: 'audit' });
}
