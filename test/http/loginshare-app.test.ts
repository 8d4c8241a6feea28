import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { realmSchema } from '../../src/config/schema.js';
import { createCallerGuard } from '../../src/http/caller-guard.js';
import { createLoginShareListener } from '../../src/http/loginshare-app.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { roomyLoginFlow, serveOnLoopback } from '../support/loginshare-listener.js';

/** The outer guard: connectors that crash or hang still produce an answer Kayako can read. */
const SECRET = 'x'.repeat(24);
let server: Server | undefined;
afterEach(() => {
  server?.close();
});

async function appWith(connector: PasswordConnector, loginTimeoutMs = 5_000) {
  const realmConfig = realmSchema.parse({ id: 'r', secret: SECRET, rules: 'rules.yaml', connectors: [{ use: connector.id }] });
  const rules = parseRules('rules: []\n', 'rules.yaml');
  let logged = '';
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void (logged += s) } });
  const listener = createLoginShareListener({
    realms: new Map([['r', { realm: createRealm(realmConfig, [{ connector }], () => rules), authorizeCaller: createCallerGuard(realmConfig, []) }]]),
    flow: roomyLoginFlow(loginTimeoutMs),
    bodyLimitBytes: 16_384,
    log,
    audit: log,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const served = await serveOnLoopback(listener);
  server = served.server;
  const port = served.port;
  const post = async () =>
    (await fetch(`http://127.0.0.1:${port}/loginshare/r/user?key=${SECRET}`, { method: 'POST', body: 'username=u&password=p4ss-w0rd' })).text();
  return { post, logged: () => logged };
}

describe('the outer guard', () => {
  it('a connector that throws gives result 0 with a service message, and the error is logged', async () => {
    const { post, logged } = await appWith({ id: 'buggy', type: 'test', login: async () => { throw new Error('boom in connector'); } });
    const verdict = readLoginShareAnswer(await post(), 'user');
    expect(verdict).toMatchObject({ accepted: false, code: 'login-failed', kayakoMessage: expect.stringMatching(/temporarily unavailable/) });
    expect(logged()).toContain('boom in connector');
    expect(logged()).not.toContain('p4ss-w0rd');
  });

  it('a connector that ignores the deadline cannot hold the answer past it', async () => {
    const { post } = await appWith({ id: 'hang', type: 'test', login: () => new Promise(() => {}) }, 600);
    const started = Date.now();
    const verdict = readLoginShareAnswer(await post(), 'user');
    expect(verdict).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/temporarily unavailable/) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
