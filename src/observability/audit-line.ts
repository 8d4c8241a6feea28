import { pino, type Logger } from 'pino';
import type { ErrorFields } from './error-fields.js';

/**
 * The audit line every login writes, field by field in this order. None of these fields can hold a secret: the
 * password and the realm secret never reach it (the type has no place for them).
 */
export interface LoginAuditLine {
  requestId: string;
  realm: string;
  audience: string;
  event: 'login';
  username: string;
  /** The username of the person's one staff account, where the realm sets `staff.usernameForm`. */
  canonicalUsername?: string | undefined;
  caller: string;
  endUserIp: string | undefined;
  interface: string | undefined;
  connector: string | undefined;
  outcome: string;
  rule: string | null | undefined;
  usergroup: string | undefined;
  team: string | undefined;
  detail: string | undefined;
  lockedNow: boolean | undefined;
  /** The operator's problem (misconfigured, unavailable) as an error: type, message, stack, causes. */
  err: ErrorFields | undefined;
  durationMs: number;
}

export type LoginAuditWriter = (level: 'info' | 'error', line: LoginAuditLine, msg: string) => void;

/**
 * Writes the login audit line through `audit`'s own destination, byte for byte what `audit[level](line, msg)`
 * writes (the same level, time and bindings prefix, taken from the logger; test/observability/audit-line.test.ts
 * compares the two). pino's generic loop over an object's keys cost ~8 µs and ~2.5 KB of garbage per login, a
 * twentieth of the bridge's throughput; this line's shape is fixed, so it is written directly.
 * Every other log line still goes through pino.
 */
export function loginAuditWriter(audit: Logger): LoginAuditWriter {
  // pino.symbols is pino's documented way in for code that extends it.
  const { lsCacheSym, timeSym, chindingsSym, streamSym, endSym } = pino.symbols;
  const logger = audit as unknown as Record<symbol, unknown>;
  const levelPrefix = logger[lsCacheSym] as Record<number, string>;
  const time = logger[timeSym] as () => string;
  const stream = logger[streamSym] as { write(line: string): unknown };
  const end = logger[endSym] as string;
  return (level, line, msg) => {
    if (!audit.isLevelEnabled(level)) return;
    // The bindings are read per line: a child logger's can change (setBindings).
    let out = levelPrefix[audit.levels.values[level]!]! + time.call(audit) + (logger[chindingsSym] as string);
    out += `,"requestId":${text(line.requestId)},"realm":${text(line.realm)},"audience":${text(line.audience)},"event":"login"`;
    out += `,"username":${text(line.username)}`;
    if (line.canonicalUsername !== undefined) out += `,"canonicalUsername":${text(line.canonicalUsername)}`;
    out += `,"caller":${text(line.caller)}`;
    if (line.endUserIp !== undefined) out += `,"endUserIp":${text(line.endUserIp)}`;
    if (line.interface !== undefined) out += `,"interface":${text(line.interface)}`;
    if (line.connector !== undefined) out += `,"connector":${text(line.connector)}`;
    out += `,"outcome":${text(line.outcome)}`;
    if (line.rule !== undefined) out += `,"rule":${line.rule === null ? 'null' : text(line.rule)}`;
    if (line.usergroup !== undefined) out += `,"usergroup":${text(line.usergroup)}`;
    if (line.team !== undefined) out += `,"team":${text(line.team)}`;
    if (line.detail !== undefined) out += `,"detail":${text(line.detail)}`;
    if (line.lockedNow !== undefined) out += `,"lockedNow":${line.lockedNow}`;
    if (line.err !== undefined) out += `,"err":${JSON.stringify(line.err)}`;
    out += `,"durationMs":${Number.isFinite(line.durationMs) ? line.durationMs : 'null'},"msg":${text(msg)}${end}`;
    stream.write(out);
  };
}

function text(value: string): string {
  return JSON.stringify(value);
}
