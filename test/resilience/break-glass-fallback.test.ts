import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { askConnectors } from '../../src/loginshare/login-flow.js';
import type { LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';

/**
 * A realm's opt-in break-glass fallback: local accounts asked only when the IdP is unavailable (here: behind a
 * proxy that stalls, the way a firewall drops an IdP), never when the IdP answered "wrong password".
 */
const SECRET = 'kayako-caller-secret-for-tests';
const RULES = 'defaults:\n  user: { usergroup: Registered }\n  staff: { team: General }\nunmatched: { user: default, staff: default }\nrules: []\n';
let idp: MockOidcIdp;
let proxy: StallableProxy;
let t: TestBridge;

beforeAll(async () => {
  idp = await startMockOidcIdp({
    users: { 'alice@corp.example': { password: 'idp password', claims: { sub: 'u-alice', email: 'alice@corp.example', email_verified: true } } },
  });
  const target = new URL(idp.issuer);
  proxy = await startStallableProxy({ host: target.hostname, port: Number(target.port) });
  idp.server.issuer.url = proxy.origin;
  const hash = await hashPassword('break-glass password', { ln: 10, r: 8, p: 1 });
  t = await startTestBridge({
    env: { IDP_SECRET: idp.clientSecret },
    rules: RULES,
    config: `
server: { loginTimeoutMs: 3000 }
security:
  lockout: { maxFailures: 1000, windowSeconds: 60, lockSeconds: 60 }
  circuitBreaker: { failureThreshold: 2, openSeconds: 60, probeIntervalMs: 60000 }
connectors:
  - id: corp
    type: oidc
    issuer: ${proxy.origin}
    clientId: ${idp.clientId}
    clientSecret: \${IDP_SECRET}
    allowInsecureHttp: true
    timeoutMs: 800
  - id: breakglass
    type: local
    users: [{ username: alice@corp.example, passwordHash: "${hash}", email: alice@corp.example }]
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: corp }, { use: breakglass, fallback: true }]
  - id: nofallback
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: corp }]
`,
  });
}, 60_000);

afterAll(async () => {
  await t?.stop();
  await proxy?.close();
  await idp?.stop();
});

const login = async (realm: string, username: string, password: string) => {
  const started = performance.now();
  const xml = await t.post(`/loginshare/${realm}/user?key=${SECRET}`, { username, password, ipaddress: '203.0.113.5' });
  return { ...readLoginShareAnswer(xml, 'user'), ms: performance.now() - started };
};
const lastAudit = () => [...t.logLines].reverse().find((l) => l['stream'] === 'audit' && 'outcome' in l)!;

describe('break-glass fallback (realm opt-in)', () => {
  it('while the IdP answers, the fallback is never asked — not even after "wrong password"', async () => {
    expect(await login('main', 'alice@corp.example', 'idp password')).toMatchObject({ accepted: true });
    expect(lastAudit()).toMatchObject({ connector: 'corp', outcome: 'ok' });
    // The break-glass password is not the IdP's: the IdP said no, and that is the answer.
    expect(await login('main', 'alice@corp.example', 'break-glass password')).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
    expect(lastAudit()).toMatchObject({ connector: 'corp', outcome: 'invalid_credentials' });
  });

  it('while the IdP hangs: the break-glass account logs in, inside the login deadline', async () => {
    proxy.stall();
    try {
      const answer = await login('main', 'alice@corp.example', 'break-glass password');
      expect(answer).toMatchObject({ accepted: true });
      expect(answer.ms).toBeLessThan(3_000 + 500);
      expect(lastAudit()).toMatchObject({ connector: 'breakglass', outcome: 'ok', detail: 'break-glass: corp unavailable' });
      // A wrong break-glass password is refused as such; a username it does not hold stays "unavailable".
      expect(await login('main', 'alice@corp.example', 'guess')).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
      expect(await login('main', 'bob@corp.example', 'anything')).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/temporarily unavailable/i) });
      // The circuit is open by now: the fallback answers at once.
      const fast = await login('main', 'alice@corp.example', 'break-glass password');
      expect(fast).toMatchObject({ accepted: true });
      expect(fast.ms).toBeLessThan(500);
      // A realm that did not opt in has no fallback.
      expect(await login('nofallback', 'alice@corp.example', 'break-glass password')).toMatchObject({
        accepted: false,
        kayakoMessage: expect.stringMatching(/temporarily unavailable/i),
      });
    } finally {
      proxy.resume();
    }
  });
});

describe('askConnectors: what counts as the IdP being unavailable', () => {
  const identity = { subject: 's', username: 'u', emails: [], groups: [], claims: {}, connectorId: 'local' };
  const answering = (outcome: LoginOutcome): PasswordConnector => ({ id: 'idp', type: 'test', login: async () => outcome });
  let fallbackAsked = 0;
  const fallback: PasswordConnector = {
    id: 'local',
    type: 'local',
    login: async () => {
      fallbackAsked += 1;
      return { kind: 'ok', identity };
    },
  };
  const attempt = { username: 'u', password: 'p', endUserIp: '', audience: 'user' as const, realmId: 'r' };
  const ask = (outcome: LoginOutcome) => askConnectors([answering(outcome)], attempt, { loginTimeoutMs: 2_000 }, [fallback]);

  it.each<[string, LoginOutcome]>([
    ['wrong password', { kind: 'invalid_credentials' }],
    ['account disabled', { kind: 'disabled' }],
    ['a misconfiguration (the operator must see it, not be hidden by the fallback)', { kind: 'misconfigured', cause: new Error('bad secret') }],
    ['a group lookup that failed after the IdP checked the password', { kind: 'unavailable', cause: Object.assign(new Error('graph down'), { code: 'ERR_GROUPS_UNAVAILABLE' }) }],
  ])('%s: the fallback is not asked', async (_label, outcome) => {
    fallbackAsked = 0;
    expect((await ask(outcome)).outcome.kind).toBe(outcome.kind);
    expect(fallbackAsked).toBe(0);
  });

  it('an IdP outage: the fallback decides', async () => {
    fallbackAsked = 0;
    const result = await ask({ kind: 'unavailable', cause: new Error('timeout') });
    expect(result).toMatchObject({ outcome: { kind: 'ok' }, connectorId: 'local', fellBackFrom: 'idp' });
    expect(fallbackAsked).toBe(1);
  });

  it('an IdP that hangs past the deadline still leaves the fallback time to answer', async () => {
    const hung: PasswordConnector = { id: 'idp', type: 'test', login: () => new Promise(() => {}) };
    const started = performance.now();
    const result = await askConnectors([hung], attempt, { loginTimeoutMs: 2_000 }, [fallback]);
    expect(result.outcome.kind).toBe('ok');
    expect(performance.now() - started).toBeLessThan(2_100);
  });
});
