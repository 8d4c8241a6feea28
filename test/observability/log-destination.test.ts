import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoTimestamp, logDestination } from '../../src/observability/log-destination.js';
import { createAuditLogger, createLogger } from '../../src/observability/logger.js';

/** Writes are asynchronous (and the file opens asynchronously): wait until `count` lines are there. */
async function linesWhenWritten(file: string, count: number): Promise<string[]> {
  let lines: string[] = [];
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const text = await readFile(file, 'utf8').catch(() => '');
    lines = text.split('\n').slice(0, -1);
    if (lines.length >= count) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${file}: ${lines.length} of ${count} lines written`);
}

describe('log destination (SonicBoom in buffer mode)', () => {
  it("writes every line whole and in order, multi-byte text included, as pino's own destination did", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-dest-'));
    try {
      const file = join(dir, 'audit.log');
      const main = createLogger({ level: 'info', destination: { write: () => undefined } });
      const audit = createAuditLogger(file, 'info', main);
      // Byte length ≠ character count: a destination that counted characters would cut or garble these lines.
      const names = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? `jürgen.ünal-${i}` : i % 3 === 1 ? `山田-${i}` : `ann-${i}`));
      for (const username of names) audit.info({ event: 'login', username }, 'login succeeded');
      const lines = await linesWhenWritten(file, names.length);
      expect(lines.map((l) => (JSON.parse(l) as { username: string }).username)).toEqual(names);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a file destination in a directory that does not exist yet creates it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-dest-'));
    try {
      const file = join(dir, 'nested', 'bridge.log');
      const dest = logDestination({ dest: file, mkdir: true });
      dest.write('{"msg":"one"}\n');
      await new Promise<void>((resolve) => setTimeout(resolve, 50));
      dest.flushSync();
      expect(await readFile(file, 'utf8')).toBe('{"msg":"one"}\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('isoTimestamp', () => {
  afterEach(() => vi.useRealTimers());

  it('is what Date#toISOString says, across second, minute and year boundaries', () => {
    vi.useFakeTimers();
    for (const at of [
      Date.UTC(2026, 10, 23, 7, 50, 47, 0),
      Date.UTC(2026, 10, 23, 7, 50, 47, 5),
      Date.UTC(2026, 10, 23, 7, 50, 47, 42),
      Date.UTC(2026, 10, 23, 7, 50, 47, 999),
      Date.UTC(2026, 10, 23, 7, 50, 48, 0),
      Date.UTC(2026, 10, 23, 7, 59, 59, 999),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 1),
      Date.UTC(2026, 10, 23, 7, 50, 47, 7), // going back in time (clock step) is fine too
    ]) {
      vi.setSystemTime(at);
      expect(isoTimestamp()).toBe(`,"time":"${new Date(at).toISOString()}"`);
    }
  });

  it('is the time field of every log line', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 10, 23, 7, 50, 47, 9));
    let text = '';
    createLogger({ level: 'info', destination: { write: (s: string) => void (text += s) } }).info('hello');
    expect((JSON.parse(text) as { time: string }).time).toBe('2026-11-23T07:50:47.009Z');
  });
});
