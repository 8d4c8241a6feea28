import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLogger, createLogger } from '../../src/observability/logger.js';

function capture(): { lines: () => Array<Record<string, unknown>>; destination: { write(s: string): void } } {
  let text = '';
  return {
    destination: { write: (s: string) => void (text += s) },
    lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The file destination opens and writes asynchronously: wait until the line is there. */
async function readWhenWritten(file: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.endsWith('\n')) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${file}: no audit line written`);
}

describe('logger redaction', () => {
  it('the main log hides secrets at the top level and one level down', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.destination });
    log.info({ password: 'hunter2', upstream: { clientSecret: 's3cret', access_token: 'at' } }, 'x');
    const [line] = out.lines();
    expect(line?.['password']).toBe('[redacted]');
    expect(line?.['upstream']).toEqual({ clientSecret: '[redacted]', access_token: '[redacted]' });
  });

  it('the audit stream on stdout (a child of the main log) still hides a password field', () => {
    const out = capture();
    const main = createLogger({ level: 'info', destination: out.destination });
    const audit = createAuditLogger('stdout', 'info', main);
    audit.info({ event: 'login', username: 'alice', password: 'hunter2', secret: 'realm-secret' }, 'login succeeded');
    const [line] = out.lines();
    expect(line).toMatchObject({ stream: 'audit', username: 'alice', password: '[redacted]', secret: '[redacted]' });
    expect(JSON.stringify(line)).not.toContain('hunter2');
  });

  it('the audit stream to a file hides a password field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-audit-'));
    try {
      const main = createLogger({ level: 'info', destination: capture().destination });
      const file = join(dir, 'audit.log');
      const audit = createAuditLogger(file, 'info', main);
      audit.info({ event: 'login', username: 'bob', password: 'hunter2', id_token: 'eyJ.x.y' }, 'login refused');
      const text = await readWhenWritten(file);
      expect(JSON.parse(text.trim())).toMatchObject({ stream: 'audit', username: 'bob', password: '[redacted]', id_token: '[redacted]' });
      expect(text).not.toContain('hunter2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
