import { describe, expect, it } from 'vitest';
import { realmSchema } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/load-config.js';
import { parseYamlSource } from '../../src/config/yaml-file.js';
import type { Identity, LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { runLogin } from '../../src/loginshare/login-flow.js';
import { DEFAULT_LOGIN_MESSAGES } from '../../src/loginshare/messages.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { createLoginThrottle } from '../../src/security/login-throttle.js';

// The operator's own texts for a realm whose Kayako speaks another language (here: placeholders that are
// obviously not anyone's real phrase, so nothing suggests the bridge knows Kayako's translations).
const CUSTOM = {
  invalidCredentials: 'PHRASE-OF-THIS-KAYAKO for a bad login',
  mfaRequired: 'custom: mfa',
  locked: 'custom: locked',
  disabled: 'custom: disabled',
  passwordExpired: 'custom: expired',
  rateLimited: 'custom: slow down',
  deniedByDefault: 'custom: not for you',
  unavailable: 'custom: try later',
};

const person: Identity = { subject: 's', username: 'dave', emails: ['dave@example.com'], groups: [], claims: {}, connectorId: 'idp', displayName: 'Dave' };

function realmWith(outcome: LoginOutcome, options: { messages?: Partial<typeof CUSTOM>; rules?: string; perUsernamePerMinute?: number } = {}) {
  const connector: PasswordConnector = { id: 'idp', type: 'test', login: async () => outcome };
  const config = realmSchema.parse({
    id: 'r',
    secret: 'x'.repeat(16),
    rules: 'rules.yaml',
    connectors: [{ use: 'idp' }],
    ...(options.messages ? { messages: options.messages } : {}),
  });
  const rules = parseRules(options.rules ?? 'unmatched: { user: deny }\nrules: []\n', 'rules.yaml');
  const realm = createRealm(config, [{ connector }], () => rules);
  const throttle = createLoginThrottle({ kind: 'memory', maxEntries: 100 }, {
    lockout: { maxFailures: 50, windowSeconds: 60, lockSeconds: 60 },
    rateLimit: { perIpPerMinute: 100, perUsernamePerMinute: options.perUsernamePerMinute ?? 100 },
  });
  return () => runLogin(realm, { audience: 'user', username: 'dave', password: 'pw', endUserIp: '' }, { throttle, loginTimeoutMs: 1_000 });
}

const message = (xml: string) => /<message>([^<]*)<\/message>/.exec(xml)?.[1];

describe('per-realm messages', () => {
  it.each([
    [{ kind: 'invalid_credentials' } as LoginOutcome, CUSTOM.invalidCredentials],
    [{ kind: 'unknown_user' } as LoginOutcome, CUSTOM.invalidCredentials],
    [{ kind: 'mfa_required' } as LoginOutcome, CUSTOM.mfaRequired],
    [{ kind: 'locked' } as LoginOutcome, CUSTOM.locked],
    [{ kind: 'disabled' } as LoginOutcome, CUSTOM.disabled],
    [{ kind: 'disabled', concealed: true } as LoginOutcome, CUSTOM.invalidCredentials],
    [{ kind: 'password_expired' } as LoginOutcome, CUSTOM.passwordExpired],
    [{ kind: 'unavailable', cause: new Error('down') } as LoginOutcome, CUSTOM.unavailable],
    [{ kind: 'misconfigured', cause: new Error('bad secret') } as LoginOutcome, CUSTOM.unavailable],
    [{ kind: 'ok', identity: person } as LoginOutcome, CUSTOM.deniedByDefault],
  ])('%o is answered with the realm\'s text', async (outcome, expected) => {
    const result = await realmWith(outcome, { messages: CUSTOM })();
    expect(message(result.xml)).toBe(expected);
  });

  it('answers rate-limited logins with the realm\'s text', async () => {
    const login = realmWith({ kind: 'invalid_credentials' }, { messages: CUSTOM, perUsernamePerMinute: 1 });
    await login();
    expect(message((await login()).xml)).toBe(CUSTOM.rateLimited);
  });

  it('keeps English, and exactly Kayako\'s English phrase for wrong credentials, where nothing is set', async () => {
    expect(message((await realmWith({ kind: 'invalid_credentials' })()).xml)).toBe('Invalid Username or Password');
    expect(message((await realmWith({ kind: 'locked' }, { messages: { disabled: 'x' } })()).xml)).toBe(DEFAULT_LOGIN_MESSAGES.locked);
    expect(message((await realmWith({ kind: 'ok', identity: person })()).xml)).toBe('Your account is not allowed to sign in here');
  });

  it('lets a rules file\'s own unmatchedMessage win over the realm\'s deniedByDefault', async () => {
    const rules = 'unmatched: { user: deny }\nunmatchedMessage: From the rules file\nrules: []\n';
    expect(message((await realmWith({ kind: 'ok', identity: person }, { messages: CUSTOM, rules })()).xml)).toBe('From the rules file');
  });

  it('leaves a rule\'s own deny message alone', async () => {
    const rules = 'rules:\n  - name: nobody\n    deny: Rule text\n';
    expect(message((await realmWith({ kind: 'ok', identity: person }, { messages: CUSTOM, rules })()).xml)).toBe('Rule text');
  });

  it('names file, line and key of a misspelt or empty message', () => {
    const config = (messages: string) => `connectors:\n  - { id: a, type: local, users: [] }\nrealms:\n  - id: r\n    secret: "${'x'.repeat(16)}"\n    rules: rules.yaml\n    connectors: [{ use: a }]\n    messages:\n${messages}`;
    expect(() => validateConfig(parseYamlSource(config('      invalidCredential: Falsch\n'), '/etc/lsb/config.yaml'), {})).toThrow(/config\.yaml:9:\d+ realms\[0\]\.messages\.invalidCredential/);
    expect(() => validateConfig(parseYamlSource(config('      locked: "  "\n'), '/etc/lsb/config.yaml'), {})).toThrow(/config\.yaml:9:\d+ realms\[0\]\.messages\.locked: must not be empty/);
  });
});
