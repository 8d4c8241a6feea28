import { execFile, execFileSync, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The compiled command line as a shell runs it: output into a pipe whose reader has gone (`… | head`) ends
 * quietly instead of printing an EPIPE stack trace, and an unknown command suggests the one meant. Compiled into
 * node_modules/.cache so the real node_modules resolve, and run as child processes: only a real process has a
 * real pipe.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const outDir = join(repoRoot, 'node_modules', '.cache', `lsb-closed-pipe-${process.pid}`);

beforeAll(async () => {
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: repoRoot, timeout: 240_000 });
}, 300_000);
afterAll(() => rm(outDir, { recursive: true, force: true }));

function runWithClosedStdout(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(outDir, 'cli', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away before the command writes anything, as `head` does after its first lines.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('output into a closed pipe', () => {
  it('ends quietly: no stack trace, no error message', async () => {
    for (const args of [['--help'], ['lockouts', '--help']]) {
      const { code, signal, stderr } = await runWithClosedStdout(args);
      expect(stderr, args.join(' ')).toBe('');
      expect(signal).toBeNull();
      expect(code).toBe(0);
    }
  });
});

describe('usage errors', () => {
  it('name an unknown option or a missing value in plain words, with where to look', () => {
    const run = (args: string[]) => {
      try {
        execFileSync(process.execPath, [join(outDir, 'cli', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        return undefined;
      } catch (err) {
        return err as { status: number; stderr: Buffer };
      }
    };
    expect(run(['lockouts', '--realms', 'corp'])?.stderr.toString()).toBe('loginshare-bridge lockouts: unknown option --realms (loginshare-bridge lockouts --help lists what it takes)\n');
    expect(run(['unlock', 'una', '--realm'])?.stderr.toString()).toBe('loginshare-bridge unlock: --realm needs a value (loginshare-bridge unlock --help lists what it takes)\n');
    expect(run(['check', 'extra'])?.status).toBe(2);
  });
});

describe('an unknown command', () => {
  it('suggests the command that was meant', () => {
    let failure: { status: number; stderr: Buffer } | undefined;
    try {
      execFileSync(process.execPath, [join(outDir, 'cli', 'main.js'), 'unlok', '--realm', 'corp', 'una'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      failure = err as { status: number; stderr: Buffer };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr.toString()).toMatch(/^loginshare-bridge: unknown command "unlok" — did you mean "unlock"\?/);
  });
});
