import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/observability/logger.js';

/**
 * A real bridge on loopback ports for HTTP-level tests: config and rules written to a temp dir, every log and
 * audit line captured (so tests can assert what operators see, and that no password ever appears).
 */
export interface TestBridge {
  bridge: Bridge;
  dir: string;
  baseUrl: string;
  opsUrl: string;
  logLines: Array<Record<string, unknown>>;
  rawLog(): string;
  /** POSTs a form to /loginshare/<realm>/<audience>?key=<key> and returns the body text (as Kayako reads it). */
  post(path: string, fields: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestBridge(options: { config: string; rules: string; env?: NodeJS.ProcessEnv; files?: Record<string, string> }): Promise<TestBridge> {
  const dir = await mkdtemp(join(tmpdir(), 'lsb-bridge-'));
  await writeFile(join(dir, 'config.yaml'), options.config);
  await writeFile(join(dir, 'rules.yaml'), options.rules);
  for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), text);
  const config = await loadConfig(join(dir, 'config.yaml'), { ...options.env, LOGINSHARE_PORT: '0', LOGINSHARE_OPS_PORT: '0', LOGINSHARE_HOST: '127.0.0.1', LOGINSHARE_OPS_HOST: '127.0.0.1' });

  let raw = '';
  const logLines: Array<Record<string, unknown>> = [];
  const destination = {
    write(line: string) {
      raw += line;
      for (const part of line.split('\n')) if (part.trim()) logLines.push(JSON.parse(part) as Record<string, unknown>);
    },
  };
  const log = createLogger({ level: 'debug', destination });
  const bridge = await createBridge(config, { log, audit: log.child({ stream: 'audit' }), defaultMetrics: false });
  const { port, opsPort } = await bridge.listen();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    bridge,
    dir,
    baseUrl,
    opsUrl: `http://127.0.0.1:${opsPort}`,
    logLines,
    rawLog: () => raw,
    async post(path, fields) {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'SWIFT_LoginShare' },
        body: new URLSearchParams(fields).toString(),
        redirect: 'manual',
      });
      return response.text();
    },
    async stop() {
      await bridge.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
