import { spawn } from 'node:child_process';
import { randomBytes, scrypt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapSnapshot } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { MESSAGES } from '../../src/loginshare/messages.js';

/**
 * The bridge sees every password of the company; it must not keep any once a login is answered. A heap dump of
 * the process (a crash dump, `--heapsnapshot-signal`, a debugger attached) would otherwise hand them over.
 *
 * The passwords never exist as JavaScript strings in this process outside the bridge: they are made as bytes
 * (Buffers, whose contents a heap snapshot does not include), piped to a child process that posts them as Kayako
 * would, and searched for as bytes in a heap snapshot of this process taken after the logins.
 */
const SECRET = 'kayako-caller-secret-for-retention';
// One address per login, as most are; 13 characters or more (V8 copies shorter substrings, longer ones can be
// views of the string they were cut from).
const END_USER_ADDRESSES = ['203.0.113.195', '203.0.113.196', '198.51.100.234', '198.51.100.235', '198.51.100.236', '198.51.100.237', '203.0.113.197'];

let t: TestBridge;
let tokenEndpoint: Server;
let rightPassword: Buffer;

/** A password as bytes, never as a string: 24 letters. */
function passwordBytes(): Buffer {
  return Buffer.from(randomBytes(24).map((byte) => 0x61 + (byte % 26)));
}

/** A local account's hash made from the bytes, as `loginshare-bridge hash-password` writes it. */
async function scryptHash(password: Buffer): Promise<string> {
  const salt = randomBytes(16);
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, 32, { N: 2 ** 10, r: 8, p: 1 }, (err, derived) => (err ? reject(err) : resolve(derived))),
  );
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=10,r=8,p=1$${b64(salt)}$${b64(key)}`;
}

/** Posts each login (path, username, password, ipaddress; tab-separated lines on stdin) from a child process. */
async function postFromChild(lines: Buffer[]): Promise<string[]> {
  const script = `
    const lines = require('node:fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);
    (async () => {
      const answers = [];
      for (const line of lines) {
        const [url, username, password, ipaddress] = line.split('\\t');
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username, password, ipaddress }).toString() });
        answers.push((await response.text()).match(/<result>(\\d)<\\/result>/)?.[1] ?? 'no result');
      }
      process.stdout.write(answers.join(','));
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stdin.end(Buffer.concat(lines));
  await new Promise((resolve) => child.on('close', resolve));
  return out.split(',');
}

function loginLine(path: string, username: string, password: Buffer, ipaddress: string): Buffer {
  return Buffer.concat([Buffer.from(`${t.baseUrl}${path}\t${username}\t`), password, Buffer.from(`\t${ipaddress}\n`)]);
}

/** Which of `needles` occur anywhere in a heap snapshot of this process (a snapshot collects garbage first). */
async function heapContains(needles: Buffer[]): Promise<Buffer[]> {
  const found = new Set<Buffer>();
  const overlap = Math.max(...needles.map((needle) => needle.length));
  let tail = Buffer.alloc(0);
  for await (const chunk of getHeapSnapshot()) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    for (const needle of needles) if (window.includes(needle)) found.add(needle);
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  return [...found];
}

beforeAll(async () => {
  // A token endpoint that refuses every password without reading it (so it keeps none itself).
  tokenEndpoint = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid user credentials' }));
    });
  });
  await new Promise<void>((resolve) => tokenEndpoint.listen(0, '127.0.0.1', resolve));
  const idp = `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}`;
  rightPassword = passwordBytes();
  t = await startTestBridge({
    rules: 'defaults:\n  user: { usergroup: Registered }\n  staff: { team: Support }\n',
    config: `
security:
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 }
  rateLimit: { perIpPerMinute: 1, perUsernamePerMinute: 1000 }
connectors:
  - id: breakglass
    type: local
    users:
      - { username: fallback-admin, passwordHash: "${await scryptHash(rightPassword)}", email: fallback@example.com, fullName: Break Glass }
  - id: corp
    type: oidc
    issuer: ${idp}
    endpoints: { token: ${idp}/token, jwks: ${idp}/jwks }
    clientId: bridge
    clientSecret: bridge-secret
    allowInsecureHttp: true
    timeoutMs: 2000
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors:
      - use: breakglass
      - use: corp
`,
  });
});

afterAll(async () => {
  await t?.stop();
  await new Promise((resolve) => tokenEndpoint?.close(resolve));
});

describe('no password outlives its login', () => {
  it('neither a successful nor a refused password is left in the heap once the logins are answered', async () => {
    const wrongPasswords = [passwordBytes(), passwordBytes(), passwordBytes(), passwordBytes()];
    const path = `/loginshare/main/user?key=${SECRET}`;
    const lines = [
      ...[0, 1, 2].map((i) => loginLine(path, 'fallback-admin', rightPassword, END_USER_ADDRESSES[i]!)),
      // Wrong passwords for the local account, and for a person the IdP refuses (up to the lockout).
      loginLine(path, 'fallback-admin', wrongPasswords[0]!, END_USER_ADDRESSES[3]!),
      ...wrongPasswords.slice(1).map((password, i) => loginLine(path, 'person@corp.example', password, END_USER_ADDRESSES[4 + i]!)),
    ];
    const answers = await postFromChild(lines);
    // The logins really happened: three accepted, the rest refused (not failed requests).
    expect(answers).toEqual(['1', '1', '1', '0', '0', '0', '0']);
    const left = await heapContains([rightPassword, ...wrongPasswords]);
    expect(left.map((password) => (password === rightPassword ? 'the right password' : 'a wrong password'))).toEqual([]);
    // The bridge did keep state from these logins while the heap was searched: the throttle's count for each
    // address (one attempt per minute allowed here). Asked only now: a lookup compares the stored key with a new
    // one, which makes V8 flatten it and let go of anything it was cut from.
    for (const address of END_USER_ADDRESSES) {
      expect(await t.post(path, { username: 'someone-else', password: 'not-a-secret', ipaddress: address })).toContain(MESSAGES.rateLimited);
    }
  }, 60_000);
});
