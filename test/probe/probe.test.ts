import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/cli-io.js';
import { runProbe } from '../../src/cli/probe.js';

/** A LoginShare stand-in on loopback that answers canned bodies and records what it received. */
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Canned = { status?: number; headers?: Record<string, string>; body?: string; hang?: boolean };

let server: Server;
let base: string;
const received: Received[] = [];
const routes = new Map<string, (request: Received) => Canned>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const canned = routes.get(request.path)?.(request) ?? { status: 404, body: 'not found' };
      if (canned.hang) return; // never answer: the probe's timeout must end it
      res.writeHead(canned.status ?? 200, canned.headers ?? { 'Content-Type': 'text/xml; charset=utf-8' });
      res.end(canned.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  routes.clear();
});

const PASSWORD = 'S3cret p@ss~*&=';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function probe(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env: { PROBE_PASSWORD: PASSWORD, ...options.env },
  };
  const code = await runProbe(args, io);
  return { code, stdout, stderr };
}

const USER_SUCCESS = `<?xml version="1.0" encoding="UTF-8"?>
<loginshare><result>1</result><user><usergroup>Registered</usergroup><fullname>Jürgen Müller</fullname>
<emails><email>Juergen@Example.com</email></emails></user></loginshare>`;

const STAFF_SUCCESS = `<?xml version="1.0" encoding="UTF-8"?>
<loginshare><result>1</result><staff><team>Support</team><firstname>Jo</firstname><lastname>Doe</lastname>
<designation/><email>jo@example.com</email><mobilenumber/><signature/></staff></loginshare>`;

describe('loginshare-bridge probe', () => {
  it('posts exactly what Kayako posts and reports an accepted user login', async () => {
    routes.set('/loginshare/main/user?key=caller-secret-k', () => ({ body: USER_SUCCESS }));
    const run = await probe(['--url', `${base}/loginshare/main/user?key=caller-secret-k`, '--username', 'juergen@example.com', '--password-env', 'PROBE_PASSWORD', '--ip', '203.0.113.7']);

    expect(run.code).toBe(0);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', path: '/loginshare/main/user?key=caller-secret-k' });
    expect(request!.headers['user-agent']).toBe('SWIFT_LoginShare');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // PHP urlencode(): space as "+", and ~ * encoded (URLSearchParams would leave them).
    expect(request!.body).toBe('username=juergen%40example.com&password=S3cret+p%40ss%7E%2A%26%3D&ipaddress=203.0.113.7');

    expect(run.stdout).toContain('Verdict: Kayako ACCEPTS this login');
    expect(run.stdout).toContain('"Jürgen Müller"');
    expect(run.stdout).toContain('juergen@example.com');
    expect(run.stdout).toMatch(/creates the user "Jürgen Müller" in the group "Registered"/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(run.stdout + run.stderr).not.toContain('S3cret+p%40ss');
    // The realm's caller secret rides in the URL: reports (terminals, tickets, CI logs) must not repeat it.
    expect(run.stdout + run.stderr).not.toContain('caller-secret-k');
    expect(run.stdout).toContain('/loginshare/main/user?key=hidden');
  });

  it('reports a refused staff login, with the interface it claimed', async () => {
    routes.set('/loginshare/main/staff', () => ({ body: STAFF_SUCCESS }));
    const run = await probe(
      ['--url', `${base}/loginshare/main/staff`, '--username', 'jdoe', '--password-stdin', '--interface', 'admin', '--teams', 'Support, Admins', '--admin-teams', 'Admins', '--new'],
      { stdin: `${PASSWORD}\n` },
    );

    expect(run.code).toBe(1);
    expect(received[0]!.body).toBe('username=jdoe&password=S3cret+p%40ss%7E%2A%26%3D&ipaddress=127.0.0.1&interface=admin');
    expect(run.stdout).toContain('Verdict: Kayako REFUSES this login');
    expect(run.stdout).toContain('the person sees: "Staff Group is not Admin"');
    expect(run.stdout).toMatch(/tries its own local staff password/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('does not follow a redirect: the 302 page is judged and refused', async () => {
    routes.set('/old/user', () => ({
      status: 302,
      headers: { Location: `${base}/new/user`, 'Content-Type': 'text/html' },
      body: '<html><body><a href="/new/user">Moved</a></body></html>',
    }));
    routes.set('/new/user', () => ({ body: USER_SUCCESS }));
    const run = await probe(['--url', `${base}/old/user`, '--username', 'a@example.com', '--password-env', 'PROBE_PASSWORD']);

    expect(run.code).toBe(1);
    expect(received.map((r) => r.path)).toEqual(['/old/user']);
    expect(run.stdout).toContain('"Invalid data provided: 2"');
    expect(run.stdout).toMatch(/HTTP 302 to .*\/new\/user\. Kayako does not follow redirects/);
  });

  it('gives up at --timeout-ms and judges what arrived (nothing)', async () => {
    routes.set('/slow/user', () => ({ hang: true }));
    const started = Date.now();
    const run = await probe(['--url', `${base}/slow/user`, '--username', 'a@example.com', '--password-env', 'PROBE_PASSWORD', '--timeout-ms', '300']);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('TIMED OUT');
    expect(run.stdout).toContain('"Invalid data provided: 1"');
    expect(run.stdout).toMatch(/No complete answer within 300 ms/);
  });

  it('prints a machine-readable report with --json, password hidden', async () => {
    routes.set('/ls', () => ({ body: USER_SUCCESS.replace('Registered', 'Gold') }));
    const run = await probe(['--url', `${base}/ls`, '--audience', 'user', '--username', 'a@example.com', '--password-env', 'PROBE_PASSWORD', '--usergroups', 'Registered', '--json']);

    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      audience: 'user',
      sent: { username: 'a@example.com', password: '(hidden)', ipaddress: '127.0.0.1' },
      http: { status: 200, timedOut: false },
      verdict: { accepted: false, code: 'invalid-group', kayakoMessage: 'Invalid data provided: Invalid Group' },
    });
    expect(run.stdout).not.toContain(PASSWORD);
  });

  it('never prints the password, even when the answer echoes it', async () => {
    routes.set('/echo/user', (request) => ({
      body: `<?xml version="1.0"?><loginshare><result>0</result><message>debug: ${new URLSearchParams(request.body).get('password')!.replace(/&/g, '&amp;')}</message></loginshare>`,
    }));
    const run = await probe(['--url', `${base}/echo/user`, '--username', 'a@example.com', '--password-env', 'PROBE_PASSWORD']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('debug: ***');
    expect(run.stdout).not.toContain(PASSWORD);
  });

  it('hides a password echoed in a malformed body and flags the echo', async () => {
    routes.set('/debug/user', (request) => ({
      body: `array(1) { ["password"]=> string(15) "${new URLSearchParams(request.body).get('password')}" }\n<?xml version="1.0"?><loginshare/>`,
    }));
    for (const format of [[], ['--json']]) {
      const run = await probe(['--url', `${base}/debug/user`, '--username', 'a@example.com', '--password-env', 'PROBE_PASSWORD', ...format]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('Invalid data provided: 2');
      expect(run.stdout).toMatch(/SECURITY: the answer body contains the password/);
      expect(run.stdout).toMatch(/string\(15\) \\+"\*\*\*/);
      expect(run.stdout).not.toContain('S3cret');
    }
  });

  it('says Kayako sees an empty answer when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await probe(['--url', `http://127.0.0.1:${port}/user`, '--username', 'a@example.com', '--password-env', 'PROBE_PASSWORD']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ECONNREFUSED/);
    expect(run.stdout).toContain('"Invalid data provided: 1"');
  });
});

describe('loginshare-bridge probe usage', () => {
  it('prints help', async () => {
    const run = await probe(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: loginshare-bridge probe');
  });

  it.each([
    ['a password on the command line', ['--url', 'http://127.0.0.1:9/user', '--username', 'a', '--password', 'x'], /Unknown option '--password'/],
    ['no URL', ['--username', 'a', '--password-env', 'PROBE_PASSWORD'], /--url is required/],
    ['an audience it cannot infer', ['--url', 'http://127.0.0.1:9/login', '--username', 'a', '--password-env', 'PROBE_PASSWORD'], /--audience/],
    ['--interface on a user URL', ['--url', 'http://127.0.0.1:9/user', '--username', 'a', '--password-env', 'PROBE_PASSWORD', '--interface', 'admin'], /staff LoginShare only/],
    ['an unset password variable', ['--url', 'http://127.0.0.1:9/user', '--username', 'a', '--password-env', 'NOPE_NOT_SET'], /NOPE_NOT_SET is not set/],
    ['no password source and no terminal', ['--url', 'http://127.0.0.1:9/user', '--username', 'a'], /--password-stdin/],
    ['a bad timeout', ['--url', 'http://127.0.0.1:9/user', '--username', 'a', '--password-env', 'PROBE_PASSWORD', '--timeout-ms', '0'], /--timeout-ms/],
  ])('exits 2 on %s, sending nothing', async (_what, args, message) => {
    const run = await probe(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(received).toHaveLength(0);
  });
});
