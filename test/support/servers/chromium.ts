import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { ServerStartError } from './server-process.js';

/**
 * Debian's Chromium for browser tests (playwright-core drives it; no test tool downloads a browser). Nothing runs
 * between tests: each test file launches its own headless browser from `executablePath`. "Starting" it here
 * checks it is installed and runs, so a run without it skips its tests loudly (and fails under CI=true) like any
 * other missing server. LSB_CHROMIUM names another binary.
 */
export interface ChromiumInfo {
  executablePath: string;
  version: string;
}

export async function startChromium(): Promise<{ info: ChromiumInfo; stop(): Promise<void> }> {
  const executablePath = process.env.LSB_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new ServerStartError('chromium', `Chromium is not installed at ${executablePath}: run scripts/install-test-deps.sh (or set LSB_CHROMIUM)`);
  }
  let version: string;
  try {
    ({ stdout: version } = await promisify(execFile)(executablePath, ['--version'], { timeout: 30_000 }));
  } catch (err) {
    throw new ServerStartError('chromium', `${executablePath} --version failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { info: { executablePath, version: version.trim() }, stop: async () => {} };
}
