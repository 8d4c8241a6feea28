import { describe, expect, it } from 'vitest';
import { deadlineIn } from '../../src/login/deadline.js';
import type { LoginOutcome } from '../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { withCircuitBreaker } from '../../src/connectors/circuit-breaker.js';

const attempt = { username: 'u', password: 'p', endUserIp: '', audience: 'user' as const, realmId: 'r' };
const ok: LoginOutcome = { kind: 'ok', identity: { subject: 's', username: 'u', emails: [], groups: [], claims: {}, connectorId: 'idp' } };
const down: LoginOutcome = { kind: 'unavailable', cause: new Error('no answer') };

/** A connector whose logins are settled by the test, in any order. */
function controllable() {
  const pending: Array<(outcome: LoginOutcome) => void> = [];
  let probeAnswers = false;
  let probes = 0;
  const connector: PasswordConnector = {
    id: 'idp',
    type: 'test',
    login: () => new Promise<LoginOutcome>((resolve) => pending.push(resolve)),
    probe: async () => {
      probes += 1;
      if (!probeAnswers) throw new Error('no answer');
    },
  };
  return {
    connector,
    settle: (index: number, outcome: LoginOutcome) => pending[index]!(outcome),
    setProbeAnswers: (value: boolean) => (probeAnswers = value),
    probes: () => probes,
  };
}

describe('circuit breaker recovery', () => {
  it('does not count failures of attempts that started before a later attempt got an answer', async () => {
    let clock = 0;
    const idp = controllable();
    const breaker = withCircuitBreaker(idp.connector, { failureThreshold: 2, openMs: 30_000, now: () => clock });
    const deadline = deadlineIn(10_000);
    // Three logins hang during an outage …
    const hung = [0, 1, 2].map(() => breaker.login(attempt, deadline));
    clock = 100;
    // … the IdP comes back and a login started after them succeeds …
    const fresh = breaker.login(attempt, deadline);
    idp.settle(3, ok);
    expect((await fresh).kind).toBe('ok');
    // … and only then do the hung ones time out: old news, the breaker stays closed.
    for (const i of [0, 1, 2]) idp.settle(i, down);
    await Promise.all(hung);
    expect(breaker.state()).toBe('closed');
    await breaker.close?.();
  });

  it('still opens when failures keep coming from attempts started after the last answer', async () => {
    let clock = 0;
    const idp = controllable();
    const breaker = withCircuitBreaker(idp.connector, { failureThreshold: 2, openMs: 30_000, now: () => clock });
    const deadline = deadlineIn(10_000);
    const first = breaker.login(attempt, deadline);
    idp.settle(0, ok);
    await first;
    clock = 10;
    const hung = [breaker.login(attempt, deadline), breaker.login(attempt, deadline)];
    idp.settle(1, down);
    idp.settle(2, down);
    await Promise.all(hung);
    expect(breaker.state()).toBe('open');
    expect((await breaker.login(attempt, deadline)).kind).toBe('unavailable');
    await breaker.close?.();
  });

  it('probes in the background while open and closes on the first answer, long before openMs', async () => {
    const idp = controllable();
    const breaker = withCircuitBreaker(idp.connector, { failureThreshold: 1, openMs: 60_000, probeIntervalMs: 50, probeTimeoutMs: 50 });
    const deadline = deadlineIn(10_000);
    const first = breaker.login(attempt, deadline);
    idp.settle(0, down);
    await first;
    expect(breaker.state()).toBe('open');
    await new Promise((r) => setTimeout(r, 300));
    expect(breaker.state()).toBe('open');
    const failedProbes = idp.probes();
    expect(failedProbes).toBeGreaterThanOrEqual(2);
    idp.setProbeAnswers(true);
    await expect.poll(() => breaker.state(), { timeout: 2_000, interval: 10 }).toBe('closed');
    // Closed: no more probing.
    const after = idp.probes();
    await new Promise((r) => setTimeout(r, 200));
    expect(idp.probes()).toBe(after);
    await breaker.close?.();
  });

  it('a probe that never settles does not stop the probing', async () => {
    let hang = true;
    let probes = 0;
    let loginsCalled = 0;
    const connector: PasswordConnector = {
      id: 'idp',
      type: 'test',
      login: async () => {
        loginsCalled += 1;
        return down;
      },
      probe: () => {
        probes += 1;
        return hang ? new Promise<void>(() => {}) : Promise.resolve();
      },
    };
    const breaker = withCircuitBreaker(connector, { failureThreshold: 1, openMs: 60_000, probeIntervalMs: 30, probeTimeoutMs: 30 });
    await breaker.login(attempt, deadlineIn(1_000));
    await expect.poll(() => probes, { timeout: 2_000, interval: 10 }).toBeGreaterThanOrEqual(3);
    // Logins meanwhile never reach the IdP.
    for (let i = 0; i < 5; i++) await breaker.login(attempt, deadlineIn(1_000));
    expect(loginsCalled).toBe(1);
    hang = false;
    await expect.poll(() => breaker.state(), { timeout: 2_000, interval: 10 }).toBe('closed');
    await breaker.close?.();
  });
});
