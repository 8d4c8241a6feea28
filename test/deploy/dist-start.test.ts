/**
 * What the container image runs, without Docker: package.json + lockfile, `npm ci --omit=dev`, the compiled
 * dist/ and nothing else (no TypeScript, no devDependencies, no src/). The bridge must start from that, answer
 * its health checks, the Dockerfile's own HEALTHCHECK command, and a LoginShare POST the way Kayako sends it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create } from 'xmlbuilder2';
import { parse as parseYaml } from 'yaml';

const execFileAsync = promisify(execFile);

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const demoConfig = join(repoRoot, 'examples/demo/config.yaml');
const dockerfile = join(repoRoot, 'deploy/Dockerfile');
const needed = [join(repoRoot, 'src/cli/main.ts'), demoConfig, dockerfile];
const missing = needed.filter((file) => !existsSync(file));

if (missing.length > 0) {
  const message = `the production start needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') {
    describe('production start from dist/', () => {
      it('has the files it starts from', () => {
        throw new Error(message);
      });
    });
  } else {
    console.warn(`\n*** SKIPPING test/deploy/dist-start.test.ts: ${message}\n`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The argv of the Dockerfile's `HEALTHCHECK … CMD ["node", …]`, so the test runs the image's real check. */
async function dockerHealthcheck(): Promise<string[]> {
  const text = (await readFile(dockerfile, 'utf8')).replace(/\\\n/g, ' ');
  const match = /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(text);
  if (!match) throw new Error('deploy/Dockerfile has no HEALTHCHECK … CMD [exec form]');
  const argv = JSON.parse(match[1]!) as string[];
  if (argv[0] !== 'node') throw new Error(`HEALTHCHECK must run node (slim images have no curl), got ${argv[0]}`);
  return argv;
}

/** The demo config's ${NAME} references without a fallback, so the test can supply them like a Secret would. */
function requiredVariables(configText: string): string[] {
  return [...configText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
}

interface DemoRealm {
  id: string;
  secret: string;
}

describe.skipIf(missing.length > 0)('production start from dist/ with production dependencies only', () => {
  let workDir = '';
  let bridge: ChildProcess | undefined;
  let output = '';
  let port = 0;
  let opsPort = 0;
  let realm: DemoRealm = { id: '', secret: '' };
  const env: NodeJS.ProcessEnv = {};

  const exited = () => bridge?.exitCode !== null || bridge?.signalCode !== null;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lsb-dist-'));
    await copyFile(join(repoRoot, 'package.json'), join(workDir, 'package.json'));
    await copyFile(join(repoRoot, 'package-lock.json'), join(workDir, 'package-lock.json'));
    await execFileAsync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(workDir, 'dist')], {
      cwd: repoRoot,
      timeout: 180_000,
    });
    await execFileAsync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: workDir,
      timeout: 180_000,
    });

    // The bridge's own env conventions: LOGINSHARE_* overrides; the rest as a pod would have it.
    const configText = await readFile(demoConfig, 'utf8');
    const { PATH, HOME, TMPDIR } = process.env;
    Object.assign(env, { PATH, HOME, TMPDIR, NODE_ENV: 'production' });
    for (const name of requiredVariables(configText)) env[name] = `stand-in-${name}-0123456789abcdef`;
    port = await freePort();
    opsPort = await freePort();
    Object.assign(env, {
      LOGINSHARE_HOST: '127.0.0.1',
      LOGINSHARE_OPS_HOST: '127.0.0.1',
      LOGINSHARE_PORT: String(port),
      LOGINSHARE_OPS_PORT: String(opsPort),
    });

    // The realm and key as the bridge will see them after ${NAME} / ${NAME:-fallback} substitution.
    const config = parseYaml(configText) as { realms: DemoRealm[] };
    const first = config.realms[0]!;
    const secret = first.secret.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) =>
      env[name] ?? fallback ?? '',
    );
    realm = { id: first.id, secret };

    bridge = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--config', demoConfig], {
      cwd: workDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bridge.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    bridge.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited()) throw new Error(`the bridge exited (${bridge.exitCode ?? bridge.signalCode}) before /healthz answered:\n${output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${opsPort}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`no 200 from /healthz within 30 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  afterAll(async () => {
    if (bridge && !exited()) {
      const gone = new Promise((resolve) => bridge!.once('exit', resolve));
      bridge.kill('SIGTERM');
      const timer = setTimeout(() => bridge?.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('installed no package the lockfile marks dev-only (typescript, vitest, the mocks …)', async () => {
    const lock = JSON.parse(await readFile(join(workDir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => entry.dev === true && path.startsWith('node_modules/'))
      .map(([path]) => path);
    expect(devOnly).toContain('node_modules/typescript');
    expect(devOnly).toContain('node_modules/vitest');
    for (const path of devOnly) expect(existsSync(join(workDir, path)), `${path} was installed`).toBe(false);
    expect(existsSync(join(workDir, 'node_modules/hono'))).toBe(true);
  });

  it('prints its version for --version and `version`, and logs it when it starts listening', async () => {
    const { version } = JSON.parse(await readFile(join(workDir, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['version']]) {
      const { stdout } = await execFileAsync(process.execPath, ['dist/cli/main.js', ...args], { cwd: workDir, env, timeout: 10_000 });
      expect(stdout).toBe(`loginshare-bridge ${version} (node ${process.version})\n`);
    }
    const listening = output.split('\n').find((line) => line.includes('loginshare-bridge listening'));
    expect(JSON.parse(listening ?? '{}')).toMatchObject({ version, node: process.version });
  });

  it('answers /healthz and /readyz on the ops port', async () => {
    expect((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
  });

  it('passes the Dockerfile HEALTHCHECK, which fails when nothing listens', async () => {
    const [, ...args] = await dockerHealthcheck();
    const run = (ops: number) =>
      execFileAsync(process.execPath, args, { cwd: workDir, env: { ...env, LOGINSHARE_OPS_PORT: String(ops) }, timeout: 10_000 });
    await expect(run(opsPort)).resolves.toBeDefined();
    await expect(run(await freePort())).rejects.toMatchObject({ code: 1 });
  });

  async function postUserLogin(username: string, password: string): Promise<{ status: number; body: string; root: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${port}/loginshare/${realm.id}/user?key=${encodeURIComponent(realm.secret)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'SWIFT_LoginShare' },
      body: new URLSearchParams({ username, password, ipaddress: '203.0.113.7' }).toString(),
    });
    const body = await res.text();
    // Kayako parses the whole trimmed body as XML and reads the root's children, whatever the root's name.
    const parsed = create(body.trim()).end({ format: 'object' }) as Record<string, Record<string, unknown>>;
    const rootName = Object.keys(parsed).find((key) => !key.startsWith('?'));
    return { status: res.status, body, root: rootName ? parsed[rootName]! : {} };
  }

  it('answers a LoginShare user POST with XML Kayako accepts', async () => {
    const ok = await postUserLogin('alice', 'alice-demo-password');
    expect(ok.body.trimStart().startsWith('<?xml')).toBe(true);
    expect(ok.root['result'], ok.body).toBe('1');
    expect(JSON.stringify(ok.root['user'])).toContain('alice@example.com');

    const wrong = await postUserLogin('alice', 'not-her-password');
    expect(wrong.root['result']).toBe('0');
    expect(wrong.root['message']).toBe('Invalid Username or Password');
    expect(output).not.toContain('not-her-password');
  });

  // Log lines are written in batches (src/observability/log-destination.ts): an operator tailing the audit sees a
  // login within a fraction of a second, and stopping the bridge loses none of the lines still pending.
  it('writes each login\'s audit line within a moment, and the pending ones when it is stopped', async () => {
    await postUserLogin('audit-soon@example.com', 'x');
    const seenBy = Date.now() + 2_000;
    while (!output.includes('"username":"audit-soon@example.com"') && Date.now() < seenBy) await new Promise((r) => setTimeout(r, 20));
    expect(output).toContain('"username":"audit-soon@example.com"');

    await postUserLogin('audit-at-exit@example.com', 'x');
    const gone = new Promise((resolve) => bridge!.once('exit', resolve));
    bridge!.kill('SIGTERM');
    await gone;
    expect(output).toMatch(/"username":"audit-at-exit@example\.com".*"outcome":"invalid_credentials"/);
  });

  // Connector and sign-in libraries are imported only for the types a config uses: a bridge without SAML does not
  // carry node-saml, xmldom, xml-crypto and xpath in its memory (about 8 MB of a pod's RSS).
  it('loads no SAML library for a config without SAML connectors or sign-in', async () => {
    const script = `import { registerHooks } from 'node:module';
      const loaded = new Set();
      registerHooks({ resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        const name = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(resolved.url);
        if (name) loaded.add(name[1]);
        return resolved;
      } });
      const { loadConfig } = await import('./dist/config/load-config.js');
      const { createBridge } = await import('./dist/bridge.js');
      const bridge = await createBridge(await loadConfig(${JSON.stringify(demoConfig)}));
      await bridge.close();
      console.log(JSON.stringify([...loaded]));`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: workDir, env, timeout: 20_000 });
    const loaded = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[];
    // The hook sees the libraries the bridge does load.
    expect(loaded).toEqual(expect.arrayContaining(['hono', 'zod', 'xmlbuilder2']));
    for (const library of ['@node-saml/node-saml', '@xmldom/xmldom', 'xml-crypto', 'xpath']) expect(loaded).not.toContain(library);
  });

  it('writes a log line still pending when the process exits (an audit file, a crash handler\'s exit)', async () => {
    const file = join(workDir, 'pending-at-exit.log');
    const script = `import('./dist/observability/log-destination.js').then(({ logDestination }) => {
      logDestination({ dest: ${JSON.stringify(file)} }).write('{"msg":"the last line"}\\n');
      process.exit(3);
    });`;
    await expect(execFileAsync(process.execPath, ['-e', script], { cwd: workDir, timeout: 10_000 })).rejects.toMatchObject({ code: 3 });
    expect(await readFile(file, 'utf8')).toBe('{"msg":"the last line"}\n');
  });
});
