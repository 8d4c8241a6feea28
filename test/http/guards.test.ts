import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoginAttempt } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { realmSchema } from '../../src/config/schema.js';
import { createCallerGuard } from '../../src/http/caller-guard.js';
import { createLoginShareListener } from '../../src/http/loginshare-app.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import type { LoginFlowDeps } from '../../src/loginshare/login-flow.js';
import { createLoginThrottle } from '../../src/security/login-throttle.js';
import { roomyLoginFlow, serveOnLoopback } from '../support/loginshare-listener.js';

/**
 * Guards a copy of the code could lose without any other test noticing, each tested where it matters: through the
 * LoginShare route, with a connector that accepts every password it is given (so whatever reaches it would log in).
 */
const SECRET = 'g'.repeat(24);
let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function start(options: { allowFrom?: string[]; trustedProxies?: string[]; realm?: Record<string, unknown>; flow?: LoginFlowDeps } = {}) {
  const attempts: LoginAttempt[] = [];
  const acceptsAnything: PasswordConnector = {
    id: 'lenient',
    type: 'test',
    login: async (attempt) => {
      attempts.push(attempt);
      return {
        kind: 'ok',
        identity: { subject: attempt.username, username: attempt.username, emails: ['u@corp.example'], displayName: 'U Ser', groups: [], claims: {}, connectorId: 'lenient' },
      };
    },
  };
  const realmConfig = realmSchema.parse({ id: 'r', secret: SECRET, rules: 'rules.yaml', connectors: [{ use: 'lenient' }], allowFrom: options.allowFrom ?? [], ...options.realm });
  const rules = parseRules('rules: []\n', 'rules.yaml');
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(...s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)) } });
  const listener = createLoginShareListener({
    realms: new Map([['r', { realm: createRealm(realmConfig, [{ connector: acceptsAnything }], () => rules), authorizeCaller: createCallerGuard(realmConfig, options.trustedProxies ?? []) }]]),
    flow: options.flow ?? roomyLoginFlow(2_000),
    bodyLimitBytes: 16_384,
    log,
    audit: log,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const served = await serveOnLoopback(listener);
  server = served.server;
  const post = async (body: string, headers: Record<string, string> = {}, audience: 'user' | 'staff' = 'user') => {
    const response = await fetch(`http://127.0.0.1:${served.port}/loginshare/r/${audience}?key=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    return readLoginShareAnswer(await response.text(), audience);
  };
  return { post, attempts, lines };
}

describe('the caller allowlist with no trusted proxies (the default)', () => {
  it('judges the TCP peer, never an X-Forwarded-For the caller wrote itself', async () => {
    // Only 10.0.0.0/8 may call; the test connects from 127.0.0.1 and claims to be 10.1.2.3.
    const { post, attempts, lines } = await start({ allowFrom: ['10.0.0.0/8'] });
    const answer = await post('username=alice&password=pw', { 'x-forwarded-for': '10.1.2.3' });
    expect(answer).toMatchObject({ accepted: false });
    expect(attempts).toEqual([]);
    expect(lines.some((l) => l['reason'] === 'address_not_allowed' && l['caller'] === '127.0.0.1')).toBe(true);
  });

  it('and the audit line names the peer, not the claimed address', async () => {
    const { post, lines } = await start();
    expect(await post('username=alice&password=pw', { 'x-forwarded-for': '198.51.100.77' })).toMatchObject({ accepted: true });
    const audit = lines.find((l) => l['outcome'] === 'ok')!;
    expect(audit['caller']).toBe('127.0.0.1');
    expect(JSON.stringify(lines)).not.toContain('198.51.100.77');
  });
});

describe('an empty password', () => {
  // An LDAP simple bind with an empty password is an anonymous bind that "succeeds"; some IdPs behave alike.
  it.each([
    ['password=', 'username=alice&password=&ipaddress=203.0.113.5'],
    ['password (no "=")', 'username=alice&password&ipaddress=203.0.113.5'],
    ['missing', 'username=alice&ipaddress=203.0.113.5'],
  ])('%s never reaches a connector', async (_label, body) => {
    const { post, attempts } = await start();
    expect(await post(body)).toMatchObject({ accepted: false });
    expect(attempts).toEqual([]);
  });

  it('a password of spaces is a password (it reaches the connector as typed)', async () => {
    const { post, attempts } = await start();
    expect(await post('username=alice&password=%20%20')).toMatchObject({ accepted: true });
    expect(attempts.map((a) => a.password)).toEqual(['  ']);
  });
});

describe('a password longer than any real one', () => {
  it('is refused before a connector sees it (1024 characters pass, 1025 do not)', async () => {
    const { post, attempts } = await start();
    expect(await post(`username=alice&password=${'p'.repeat(1_024)}`)).toMatchObject({ accepted: true });
    expect(await post(`username=alice&password=${'p'.repeat(1_025)}`)).toMatchObject({ accepted: false });
    expect(attempts.map((a) => a.password.length)).toEqual([1_024]);
  });
});

describe('an audience the realm does not serve', () => {
  it('staff logins switched off: refused without asking a connector, while user logins work', async () => {
    const { post, attempts, lines } = await start({ realm: { audiences: { user: true, staff: false } } });
    expect(await post('username=sam&password=pw&interface=staff', {}, 'staff')).toMatchObject({ accepted: false });
    expect(attempts).toEqual([]);
    expect(lines.some((l) => l['outcome'] === 'audience_refused')).toBe(true);
    expect(await post('username=alice&password=pw')).toMatchObject({ accepted: true });
  });
});

describe('the per-username rate limit', () => {
  it('refuses past the limit without asking the connector', async () => {
    const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 100 }, {
      lockout: { maxFailures: 100, windowSeconds: 60, lockSeconds: 60 },
      rateLimit: { perIpPerMinute: 100, perUsernamePerMinute: 2 },
    });
    const { post, attempts, lines } = await start({ flow: { throttle, loginTimeoutMs: 2_000 } });
    for (let i = 0; i < 2; i++) expect(await post('username=alice&password=pw&ipaddress=203.0.113.5')).toMatchObject({ accepted: true });
    expect(await post('username=alice&password=pw&ipaddress=198.51.100.1')).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/too many/i) });
    expect(attempts).toHaveLength(2);
    expect(lines.some((l) => l['outcome'] === 'rate_limited')).toBe(true);
  });
});
