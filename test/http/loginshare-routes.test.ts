import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { realmSchema } from '../../src/config/schema.js';
import { createCallerGuard } from '../../src/http/caller-guard.js';
import { createLoginShareListener, type GuardedRealm } from '../../src/http/loginshare-app.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { roomyLoginFlow, serveOnLoopback } from '../support/loginshare-listener.js';

/** The routes as Kayako and an ingress see them: status codes, headers, the caller's address, the body limit. */
const SECRET = 'k'.repeat(24);
let server: Server | undefined;
afterEach(() => {
  server?.close();
});

const accepting: PasswordConnector = {
  id: 'ok',
  type: 'test',
  login: async (attempt) => ({
    kind: 'ok',
    identity: { subject: attempt.username, username: attempt.username, emails: ['u@corp.example'], displayName: 'U Ser', groups: [], claims: {}, connectorId: 'ok' },
  }),
};

async function start(options: { allowFrom?: string[]; trustedProxies?: string[]; throwingGuard?: boolean } = {}) {
  const realmConfig = realmSchema.parse({ id: 'r', secret: SECRET, rules: 'rules.yaml', connectors: [{ use: 'ok' }], allowFrom: options.allowFrom ?? [] });
  const rules = parseRules('rules: []\n', 'rules.yaml');
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(...s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)) } });
  const guarded: GuardedRealm = {
    realm: createRealm(realmConfig, [{ connector: accepting }], () => rules),
    authorizeCaller: options.throwingGuard
      ? () => {
          throw new Error('guard exploded');
        }
      : createCallerGuard(realmConfig, options.trustedProxies ?? []),
  };
  const listener = createLoginShareListener({
    realms: new Map([['r', guarded]]),
    flow: roomyLoginFlow(2_000),
    bodyLimitBytes: 1_024,
    log,
    audit: log,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const served = await serveOnLoopback(listener);
  server = served.server;
  const port = served.port;
  const base = `http://127.0.0.1:${port}`;
  return { base, lines };
}

async function expectXml(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
  expect(response.headers.get('location')).toBeNull();
  const body = await response.text();
  expect(body).not.toMatch(/<html/i);
  return readLoginShareAnswer(body, 'user');
}

describe('LoginShare routes', () => {
  it('wrong URLs are 404 and wrong methods 405, both with an XML body and no redirect', async () => {
    const { base } = await start();
    const form = { method: 'POST', body: 'username=a&password=b', redirect: 'manual' } as const;
    for (const path of ['/loginshare/r/user/', '/loginshare/r/users', '/loginshare/r', '/', '/loginshare/r/user/extra']) {
      expect(await expectXml(await fetch(`${base}${path}?key=${SECRET}`, form), 404)).toMatchObject({ accepted: false });
    }
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(`${base}/loginshare/r/staff?key=${SECRET}`, { method, redirect: 'manual' });
      expect(await expectXml(response, 405)).toMatchObject({ accepted: false });
    }
  });

  it('a login answers 200 with the request id echoed; an unknown realm and a refused caller answer 200 too', async () => {
    const { base, lines } = await start();
    const ok = await fetch(`${base}/loginshare/r/user?key=${SECRET}`, { method: 'POST', headers: { 'x-request-id': 'ing-1' }, body: 'username=alice&password=pw' });
    expect(ok.headers.get('x-request-id')).toBe('ing-1');
    expect(await expectXml(ok, 200)).toMatchObject({ accepted: true });
    expect(lines.some((l) => l['requestId'] === 'ing-1' && l['outcome'] === 'ok' && l['caller'] === '127.0.0.1')).toBe(true);

    const unknown = await fetch(`${base}/loginshare/nope/user?key=${SECRET}`, { method: 'POST', body: 'username=alice&password=pw' });
    expect(await expectXml(unknown, 200)).toMatchObject({ accepted: false });
    expect(lines.some((l) => l['outcome'] === 'unknown_realm' && l['realm'] === 'nope')).toBe(true);

    const refused = await fetch(`${base}/loginshare/r/user?key=wrong`, { method: 'POST', body: 'username=alice&password=pw' });
    expect(await expectXml(refused, 200)).toMatchObject({ accepted: false });
    expect(lines.some((l) => l['outcome'] === 'caller_refused' && l['reason'] === 'wrong_secret')).toBe(true);
  });

  it('a staff POST without interface is told what is missing, not to enter a username and password', async () => {
    const { base, lines } = await start();
    const response = await fetch(`${base}/loginshare/r/staff?key=${SECRET}`, { method: 'POST', body: 'username=alice&password=pw' });
    const answer = await expectXml(response, 200);
    expect(answer).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/the "interface" field is missing/) });
    expect(answer.accepted === false && answer.kayakoMessage).not.toMatch(/username and password/);
    expect(lines.some((l) => l['outcome'] === 'bad_request' && l['reason'] === 'interface is missing')).toBe(true);
  });

  it('the secret is also read from HTTP Basic', async () => {
    const { base } = await start();
    const response = await fetch(`${base}/loginshare/r/user`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`kayako:${SECRET}`).toString('base64')}` },
      body: 'username=alice&password=pw',
    });
    expect(await expectXml(response, 200)).toMatchObject({ accepted: true });
  });

  it('behind a trusted proxy the caller is the first untrusted X-Forwarded-For hop, and the allowlist judges that one', async () => {
    const { base, lines } = await start({ trustedProxies: ['127.0.0.0/8'], allowFrom: ['203.0.113.0/24'] });
    const allowed = await fetch(`${base}/loginshare/r/user?key=${SECRET}`, {
      method: 'POST',
      headers: { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' },
      body: 'username=alice&password=pw',
    });
    expect(await expectXml(allowed, 200)).toMatchObject({ accepted: true });
    expect(lines.some((l) => l['outcome'] === 'ok' && l['caller'] === '203.0.113.7')).toBe(true);
    const spoofed = await fetch(`${base}/loginshare/r/user?key=${SECRET}`, {
      method: 'POST',
      headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.9' },
      body: 'username=alice&password=pw',
    });
    expect(await expectXml(spoofed, 200)).toMatchObject({ accepted: false });
    expect(lines.some((l) => l['reason'] === 'address_not_allowed' && l['caller'] === '198.51.100.9')).toBe(true);
  });

  it('a body over the limit is a bad request answered 200, chunked or not', async () => {
    const { base, lines } = await start();
    const big = `username=alice&password=${'x'.repeat(4_000)}`;
    expect(await expectXml(await fetch(`${base}/loginshare/r/user?key=${SECRET}`, { method: 'POST', body: big }), 200)).toMatchObject({ accepted: false });
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const response = await fetch(`${base}/loginshare/r/user?key=${SECRET}`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
    expect(await expectXml(response, 200)).toMatchObject({ accepted: false });
    expect(lines.filter((l) => l['outcome'] === 'bad_request' && l['reason'] === 'body too large')).toHaveLength(2);
  });

  it('a throw in any middleware becomes a result 0 answer with status 200, logged without the query', async () => {
    const { base, lines } = await start({ throwingGuard: true });
    const response = await fetch(`${base}/loginshare/r/user?key=${SECRET}`, { method: 'POST', body: 'username=alice&password=pw' });
    expect(await expectXml(response, 200)).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/temporarily unavailable/) });
    const logged = lines.find((l) => l['msg'] === 'unhandled error answering a LoginShare request');
    expect(logged).toMatchObject({ path: '/loginshare/r/user' });
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });
});
