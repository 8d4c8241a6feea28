import { describe, expect, it, vi, afterEach } from 'vitest';
import { loginAuditWriter, type LoginAuditLine } from '../../src/observability/audit-line.js';
import { createAuditLogger, createLogger } from '../../src/observability/logger.js';

function sink(): { destination: { write(s: string): void }; text: () => string; clear(): void } {
  let text = '';
  return { destination: { write: (s: string) => void (text += s) }, text: () => text, clear: () => void (text = '') };
}

const full: LoginAuditLine = {
  requestId: 'req-1',
  realm: 'main',
  audience: 'staff',
  event: 'login',
  username: 'jürgen "the admin" \\ o\'brien',
  caller: '10.0.0.5',
  endUserIp: '203.0.113.7',
  interface: 'winapp',
  connector: 'corp',
  outcome: 'ok',
  rule: 'Support staff',
  usergroup: undefined,
  team: 'Tier 1',
  detail: 'line one\nline two\t\u0001 \u2028 山田',
  lockedNow: true,
  err: undefined,
  durationMs: 12.3,
};

const lines: Array<[string, LoginAuditLine]> = [
  ['every field, with quotes, backslashes, control characters and non-Latin text', full],
  ['the fields a refused login leaves out', { ...full, endUserIp: undefined, interface: undefined, connector: undefined, rule: undefined, team: undefined, detail: undefined, lockedNow: undefined }],
  ['no rule matched (rule: null)', { ...full, rule: null, usergroup: 'Registered', team: undefined }],
  ['a long detail (pino switches to JSON.stringify over 100 characters)', { ...full, detail: 'x'.repeat(150) + '"' }],
  [
    'an operator error with its type, code, stack and cause',
    { ...full, outcome: 'misconfigured', err: { type: 'OidcConnectorError', message: 'corp: token request rejected', code: 'ERR_IDP_X', stack: 'OidcConnectorError: corp…\n    at login (x.ts:1:1)', cause: { type: 'TypeError', message: 'fetch "failed"' } } },
  ],
];

describe('the login audit line', () => {
  afterEach(() => vi.useRealTimers());

  it.each(lines)('is byte for byte what pino writes for the same object: %s', (_name, line) => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 10, 23, 8, 0, 0, 42));
    for (const target of ['stdout', 'file'] as const) {
      const main = sink();
      const fileSink = sink();
      const mainLogger = createLogger({ level: 'info', destination: main.destination });
      // 'stdout': the audit logger is a child of the main one; 'file': its own logger (as createAuditLogger builds it).
      const audit =
        target === 'stdout'
          ? createAuditLogger('stdout', 'info', mainLogger)
          : createLogger({ level: 'info', destination: fileSink.destination, name: 'loginshare-bridge-audit' }).child({ stream: 'audit' });
      const out = target === 'stdout' ? main : fileSink;
      for (const level of ['info', 'error'] as const) {
        out.clear();
        audit[level]({ ...line }, 'login succeeded');
        const fromPino = out.text();
        out.clear();
        loginAuditWriter(audit)(level, line, 'login succeeded');
        expect(out.text()).toBe(fromPino);
        expect(JSON.parse(out.text())).toMatchObject({ level, stream: 'audit', username: line.username, msg: 'login succeeded' });
      }
    }
  });

  it('honours the audit log level', () => {
    const out = sink();
    const audit = createLogger({ level: 'warn', destination: out.destination }).child({ stream: 'audit' });
    const write = loginAuditWriter(audit);
    write('info', full, 'login succeeded');
    expect(out.text()).toBe('');
    write('error', full, 'login failed: operator action needed');
    expect(JSON.parse(out.text())).toMatchObject({ level: 'error', requestId: 'req-1' });
  });
});
