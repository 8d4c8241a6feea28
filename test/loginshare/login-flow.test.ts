import { describe, expect, it } from 'vitest';
import type { LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { realmSchema } from '../../src/config/schema.js';
import { askConnectors, runLogin } from '../../src/loginshare/login-flow.js';
import { createLocalConnector, localConnectorSchema } from '../../src/connectors/local/local-connector.js';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { createLoginThrottle } from '../../src/security/login-throttle.js';

function flowWith(outcome: LoginOutcome) {
  const connector: PasswordConnector = { id: 'idp', type: 'test', login: async () => outcome };
  const config = realmSchema.parse({ id: 'r', secret: 'x'.repeat(16), rules: 'rules.yaml', connectors: [{ use: 'idp' }] });
  const rules = parseRules('rules: []\n', 'rules.yaml');
  const realm = createRealm(config, [{ connector }], () => rules);
  const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 100 }, {
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

describe('asking the connectors', () => {
  it('skips a connector that has no account for the username, and asks one that has', async () => {
    const breakGlass = createLocalConnector(
      localConnectorSchema.parse({ id: 'breakglass', type: 'local', users: [{ username: 'Rescue', passwordHash: await hashPassword('rescue-password-1'), email: 'rescue@corp.example' }] }),
    );
    const asked: string[] = [];
    const spy = (connector: PasswordConnector): PasswordConnector => ({ ...connector, login: (attempt, deadline) => (asked.push(connector.id), connector.login(attempt, deadline)) });
    const idp: PasswordConnector = { id: 'idp', type: 'test', login: async () => ({ kind: 'invalid_credentials' }) };
    const timings: string[] = [];
    const deps = { loginTimeoutMs: 1_000, onConnectorDone: (id: string, outcome: string) => void timings.push(`${id}:${outcome}`) };
    const attempt = (username: string, password: string) => ({ username, password, endUserIp: '', audience: 'user' as const, realmId: 'r' });

    const other = await askConnectors([spy(breakGlass), spy(idp)], attempt('dave', 'pw'), deps);
    expect(other.connectorId).toBe('idp');
    expect(asked).toEqual(['idp']);
    expect(timings).toEqual(['idp:invalid_credentials']);

    asked.length = 0;
    const rescue = await askConnectors([spy(breakGlass), spy(idp)], attempt('rescue', 'rescue-password-1'), deps);
    expect(rescue).toMatchObject({ connectorId: 'breakglass', outcome: { kind: 'ok' } });
    expect(asked).toEqual(['breakglass']);
  });
});
