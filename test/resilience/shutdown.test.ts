import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';

/**
 * SIGTERM to a real `loginshare-bridge serve` process (compiled as the image runs it): idle keep-alive connections
 * are closed at once, a login in flight (its IdP answering slowly) still gets its answer, and the process exits
 * then — not after the keep-alive timeout, set long here (30 s) so that lingering would show.
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const buildDir = join(repoRoot, 'node_modules/.cache/loginshare-shutdown-test');
const SECRET = 'kayako-caller-secret-for-tests';
const IDP_DELAY_MS = 1_500;

let idp: MockOidcIdp;
let proxy: StallableProxy;
let dir: string;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(buildDir, 'dist')], { cwd: repoRoot });
  idp = await startMockOidcIdp({
    users: { 'alice@corp.example': { password: 'right password', claims: { sub: 'u-alice', email: 'alice@corp.example', email_verified: true } } },
  });
  const target = new URL(idp.issuer);
  proxy = await startStallableProxy({ host: target.hostname, port: Number(target.port) });
  idp.server.issuer.url = proxy.origin;
  dir = await mkdtemp(join(tmpdir(), 'lsb-shutdown-'));
  const hash = await hashPassword('breakglass-pw-123', { ln: 10, r: 8, p: 1 });
  await writeFile(join(dir, 'rules.yaml'), 'defaults:\n  user: { usergroup: Registered }\n  staff: { team: General }\nunmatched: { user: default, staff: default }\nrules: []\n');
  await writeFile(
    join(dir, 'config.yaml'),
    `
server: { host: 127.0.0.1, port: 0, keepAliveTimeoutMs: 30000, headersTimeoutMs: 40000, loginTimeoutMs: 10000 }
ops: { host: 127.0.0.1, port: 0 }
log: { level: info }
connectors:
  - id: breakglass
    type: local
    users: [{ username: admin, passwordHash: "${hash}", email: admin@example.com }]
  - id: corp
    type: oidc
    issuer: ${proxy.origin}
    clientId: ${idp.clientId}
    clientSecret: ${idp.clientSecret}
    allowInsecureHttp: true
    timeoutMs: 8000
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: breakglass }, { use: corp }]
`,
  );
}, 180_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await proxy?.close();
  await idp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function startServe(): Promise<number> {
  child = spawn(process.execPath, [join(buildDir, 'dist/cli/main.js'), 'serve', '--config', join(dir, 'config.yaml')], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.includes('loginshare-bridge listening'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child!.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${output}`)));
  });
}

function post(port: number, agent: Agent, fields: Record<string, string>): Promise<{ response: IncomingMessage; body: string; socket: Socket }> {
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: `/loginshare/main/user?key=${SECRET}`, agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (c: string) => (text += c));
        response.on('end', () => resolve({ response, body: text, socket: req.socket! }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('shutdown on SIGTERM', () => {
  it('closes idle keep-alive connections at once, answers the login in flight, then exits', async () => {
    const port = await startServe();
    // A keep-alive connection that has served a login and now sits idle in the client's pool.
    const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await post(port, idleAgent, { username: 'admin', password: 'breakglass-pw-123', ipaddress: '203.0.113.5' });
    expect(readLoginShareAnswer(first.body, 'user').accepted).toBe(true);
    expect(first.response.headers['keep-alive']).toBe('timeout=30'); // server.keepAliveTimeoutMs
    const idleSocket = first.socket;
    const idleClosed = new Promise<number>((resolve) => idleSocket.once('close', () => resolve(performance.now())));

    // A login whose IdP takes 1.5 s to answer, in flight when SIGTERM comes.
    const warm = await post(port, new Agent({ keepAlive: false }), { username: 'alice@corp.example', password: 'right password', ipaddress: '203.0.113.5' });
    expect(readLoginShareAnswer(warm.body, 'user').accepted).toBe(true); // discovery done before the clock starts
    proxy.delay(IDP_DELAY_MS);
    const busyAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const inFlight = post(port, busyAgent, { username: 'alice@corp.example', password: 'right password', ipaddress: '203.0.113.5' });
    await new Promise((r) => setTimeout(r, 300));

    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child!.once('exit', (code) => resolve({ code, at: performance.now() })));
    const signalledAt = performance.now();
    child!.kill('SIGTERM');

    expect((await idleClosed) - signalledAt).toBeLessThan(1_000);
    const answered = await inFlight;
    expect(readLoginShareAnswer(answered.body, 'user').accepted).toBe(true);
    const { code, at } = await exited;
    expect(code).toBe(0);
    // The login's own time, and then not the 30 s keep-alive timeout.
    expect(at - signalledAt).toBeLessThan(IDP_DELAY_MS + 2_500);
    expect(output).toMatch(/shutting down/);
    idleAgent.destroy();
    busyAgent.destroy();
  }, 60_000);
});
