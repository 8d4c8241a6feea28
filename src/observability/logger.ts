import { pino, type Logger, type DestinationStream } from 'pino';

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

export function createLogger(options: { level: string; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.name ?? 'loginshare-bridge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** The audit stream: one line per login, to stdout with the rest, to stderr, or to its own file. */
export function createAuditLogger(target: string, level: string, main: Logger): Logger {
  if (target === 'stdout') return main.child({ stream: 'audit' });
  const dest = target === 'stderr' ? pino.destination({ dest: 2, sync: false }) : pino.destination({ dest: target, mkdir: true, sync: false });
  return createLogger({ level, destination: dest, name: 'loginshare-bridge-audit' }).child({ stream: 'audit' });
}
