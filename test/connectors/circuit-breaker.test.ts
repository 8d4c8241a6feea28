import { deadlineIn } from '../../src/login/deadline.js';
import { describe, expect, it } from 'vitest';
import type { LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { withCircuitBreaker, type CircuitState } from '../../src/connectors/circuit-breaker.js';

const attempt = { username: 'u', password: 'p', endUserIp: '', audience: 'user' as const, realmId: 'r' };
const deadline = deadlineIn(10_000);

function scripted(outcomes: LoginOutcome['kind'][]) {
  let calls = 0;
  const connector: PasswordConnector = {
    id: 'idp',
    type: 'test',
    login: async () => {
      const kind = outcomes[Math.min(calls++, outcomes.length - 1)]!;
      if (kind === 'unavailable' || kind === 'misconfigured') return { kind, cause: new Error('down') };
      if (kind === 'ok') return { kind, identity: { subject: 's', username: 'u', emails: [], groups: [], claims: {}, connectorId: 'idp' } };
      return { kind } as LoginOutcome;
    },
  };
  return { connector, calls: () => calls };
}

describe('circuit breaker', () => {
  it('opens after consecutive outages and stops calling the IdP', async () => {
    let clock = 0;
    const states: CircuitState[] = [];
    const idp = scripted(['unavailable']);
    const breaker = withCircuitBreaker(idp.connector, { failureThreshold: 3, openMs: 30_000, now: () => clock, onStateChange: (_id, s) => states.push(s) });
    for (let i = 0; i < 3; i++) expect((await breaker.login(attempt, deadline)).kind).toBe('unavailable');
    expect(breaker.state()).toBe('open');
    const outcome = await breaker.login(attempt, deadline);
    expect(outcome.kind === 'unavailable' && outcome.cause.message).toMatch(/circuit open/);
    expect(idp.calls()).toBe(3);
    expect(states).toEqual(['open']);
  });

  it('half-opens after the cool-down and closes when the IdP answers again', async () => {
    let clock = 0;
    const idp = scripted(['unavailable', 'unavailable', 'invalid_credentials', 'ok']);
    const breaker = withCircuitBreaker(idp.connector, { failureThreshold: 2, openMs: 1_000, now: () => clock });
    await breaker.login(attempt, deadline);
    await breaker.login(attempt, deadline);
    expect(breaker.state()).toBe('open');
    clock = 1_500;
    expect((await breaker.login(attempt, deadline)).kind).toBe('invalid_credentials'); // a real answer: the IdP is back
    expect(breaker.state()).toBe('closed');
    expect((await breaker.login(attempt, deadline)).kind).toBe('ok');
  });

  it('a failed trial re-opens at once', async () => {
    let clock = 0;
    const idp = scripted(['unavailable']);
    const breaker = withCircuitBreaker(idp.connector, { failureThreshold: 2, openMs: 1_000, now: () => clock });
    await breaker.login(attempt, deadline);
    await breaker.login(attempt, deadline);
    clock = 1_001;
    await breaker.login(attempt, deadline);
    expect(breaker.state()).toBe('open');
    expect(idp.calls()).toBe(3);
  });

  it('failed group lookups (Graph down for overage users) do not open it for everyone', async () => {
    const groupsDown: PasswordConnector = {
      id: 'idp',
      type: 'test',
      login: async () => ({ kind: 'unavailable', cause: Object.assign(new Error('graph down'), { code: 'ERR_GROUPS_UNAVAILABLE' }) }),
    };
    const breaker = withCircuitBreaker(groupsDown, { failureThreshold: 2, openMs: 1_000 });
    for (let i = 0; i < 5; i++) await breaker.login(attempt, deadline);
    expect(breaker.state()).toBe('closed');
  });

  it('wrong passwords and misconfigurations never open it', async () => {
    const idp = scripted(['invalid_credentials', 'misconfigured', 'invalid_credentials', 'misconfigured', 'misconfigured']);
    const breaker = withCircuitBreaker(idp.connector, { failureThreshold: 2, openMs: 1_000 });
    for (let i = 0; i < 5; i++) await breaker.login(attempt, deadline);
    expect(breaker.state()).toBe('closed');
    expect(idp.calls()).toBe(5);
  });
});
