import { describe, expect, it } from 'vitest';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { realmSchema } from '../../src/config/schema.js';
import { createCallerGuard } from '../../src/http/caller-guard.js';
import { createLoginShareListener } from '../../src/http/loginshare-app.js';
import { errorFields } from '../../src/observability/error-fields.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { roomyLoginFlow, serveOnLoopback } from '../support/loginshare-listener.js';

/** Error objects in log lines keep their type, message and stack (and what they wrap), never other properties. */
class UpstreamBroke extends Error {
  readonly code = 'ERR_UPSTREAM_BROKE';
  readonly request = { headers: { authorization: 'Bearer secret-token' } };
}

describe('errorFields', () => {
  it('keeps the class, message, code, stack and causes, and nothing else of the error', () => {
    const fields = errorFields(new UpstreamBroke('corp: token request failed', { cause: new TypeError('fetch failed') }));
    expect(fields).toMatchObject({
      type: 'UpstreamBroke',
      message: 'corp: token request failed',
      code: 'ERR_UPSTREAM_BROKE',
      stack: expect.stringMatching(/^Error: corp: token request failed\n\s+at /),
      cause: { type: 'TypeError', message: 'fetch failed', stack: expect.stringMatching(/^TypeError: fetch failed/) },
    });
    expect(JSON.stringify(fields)).not.toContain('secret-token');
    expect(errorFields('a string was thrown')).toEqual({ type: 'string', message: 'a string was thrown' });
  });

  it('is what the logger writes for `err`', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    log.error({ err: new UpstreamBroke('boom') }, 'it broke');
    const line = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'UpstreamBroke', message: 'boom', code: 'ERR_UPSTREAM_BROKE', stack: expect.stringContaining('boom') });
    expect(lines[0]).not.toContain('secret-token');
  });
});

describe('a login that fails for an operator reason', () => {
  it('writes its audit line at error level with the error object: type, message, stack', async () => {
    const broken: PasswordConnector = {
      id: 'corp',
      type: 'test',
      login: async () => ({ kind: 'misconfigured', cause: new UpstreamBroke('corp: the IdP refused the client') }),
    };
    const realmConfig = realmSchema.parse({ id: 'r', secret: 'k'.repeat(24), rules: 'rules.yaml', connectors: [{ use: 'corp' }] });
    const rules = parseRules('rules: []\n', 'rules.yaml');
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(...s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)) } });
    const listener = createLoginShareListener({
      realms: new Map([['r', { realm: createRealm(realmConfig, [{ connector: broken }], () => rules), authorizeCaller: createCallerGuard(realmConfig, []) }]]),
      flow: roomyLoginFlow(2_000),
      bodyLimitBytes: 1_024,
      log,
      audit: log,
      metrics: createMetrics({ defaultMetrics: false }),
    });
    const { server, port } = await serveOnLoopback(listener);
    try {
      await (await fetch(`http://127.0.0.1:${port}/loginshare/r/user?key=${'k'.repeat(24)}`, { method: 'POST', body: 'username=una&password=pw' })).text();
      log.flush?.();
      const audit = lines.find((l) => l['event'] === 'login');
      expect(audit).toMatchObject({
        level: 'error',
        outcome: 'misconfigured',
        err: { type: 'UpstreamBroke', message: 'corp: the IdP refused the client', code: 'ERR_UPSTREAM_BROKE', stack: expect.stringContaining('corp: the IdP refused the client') },
      });
      expect(JSON.stringify(audit)).not.toContain('secret-token');
    } finally {
      server.close();
    }
  });
});
