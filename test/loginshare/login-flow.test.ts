import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import type { LoginOutcome, PasswordConnector } from '../../src/connectors/connector.js';
import { realmSchema } from '../../src/config/schema.js';
import { runLogin } from '../../src/loginshare/login-flow.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { createLoginThrottle } from '../../src/security/login-throttle.js';

function flowWith(outcome: LoginOutcome) {
  const connector: PasswordConnector = { id: 'idp', type: 'test', login: async () => outcome };
  const config = realmSchema.parse({ id: 'r', secret: 'x'.repeat(16), rules: 'rules.yaml', connectors: [{ use: 'idp' }] });
  const rules = parseRules('rules: []\n', 'rules.yaml');
  const realm = createRealm(config, [{ connector }], () => rules);
  const throttle = createLoginThrottle(createMemoryCache({ maxEntries: 100 }), {
    lockout: { maxFailures: 5, windowSeconds: 60, lockSeconds: 60 },
    rateLimit: { perIpPerMinute: 100, perUsernamePerMinute: 100 },
  });
  return runLogin(realm, { audience: 'user', username: 'dave', password: 'pw', endUserIp: '' }, { throttle, loginTimeoutMs: 1_000 });
}

describe('what the person is told', () => {
  it('tells a disabled account so', async () => {
    const result = await flowWith({ kind: 'disabled', detail: 'idp: Account disabled' });
    expect(result.xml).toContain('Your account is disabled');
    expect(result).toMatchObject({ outcome: 'disabled', detail: 'idp: Account disabled' });
  });

  it('conceals a state the IdP reveals without checking the password, but audits it', async () => {
    const result = await flowWith({ kind: 'disabled', detail: 'idp: Account disabled', concealed: true });
    expect(result.xml).toContain('<message>Invalid Username or Password</message>');
    expect(result).toMatchObject({ outcome: 'disabled', detail: 'idp: Account disabled (shown to the person as wrong credentials)' });
  });

  it('never shows operator detail to the person', async () => {
    const result = await flowWith({ kind: 'misconfigured', cause: new Error('invalid_client: secret expired') });
    expect(result.xml).not.toContain('secret expired');
    expect(result.xml).toContain('temporarily unavailable');
    expect(result.operatorError?.message).toBe('invalid_client: secret expired');
  });
});
