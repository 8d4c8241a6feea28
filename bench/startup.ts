import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { bridgeConfigYaml, BENCH_RULES_YAML, type BridgeTargetOptions } from './bridge-config.js';

/**
 * Measurement 6: the real CLI (`loginshare-bridge serve --config …`) from process start to "listening" and to
 * `/readyz` answering 200. The config names the token and JWKS endpoints, so no discovery request is made.
 */
export interface StartupTiming {
  /** spawn → the "listening" log line. */
  listeningMs: number;
  /** spawn → GET /readyz = 200. */
  readyMs: number;
}

export async function measureStartup(cliMain: string, options: BridgeTargetOptions): Promise<StartupTiming> {
  await writeFile(join(options.dir, 'rules.yaml'), BENCH_RULES_YAML);
  const configFile = join(options.dir, 'config-startup.yaml');
  await writeFile(configFile, bridgeConfigYaml(options));
  const started = performance.now();
  const child = spawn(process.execPath, [cliMain, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    const listening = await new Promise<{ at: number; opsPort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line within 20 s: ${stderr}`)), 20_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code}: ${stderr}`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('loginshare-bridge listening')) return;
        clearTimeout(timer);
        const entry = JSON.parse(line) as { opsPort?: number };
        resolve({ at: performance.now(), opsPort: entry.opsPort ?? 0 });
      });
    });
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${listening.opsPort}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) return { listeningMs: listening.at - started, readyMs: performance.now() - started };
      if (performance.now() - started > 20_000) throw new Error('/readyz not 200 within 20 s');
      await sleep(2);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

/** The floor under any Node service: `node -e ""` start to exit. */
export async function measureNodeFloor(): Promise<number> {
  const started = performance.now();
  await new Promise((resolve, reject) => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).once('exit', resolve).once('error', reject));
  return performance.now() - started;
}
