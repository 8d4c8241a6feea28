import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';

/**
 * An IdP that hangs (connections accepted, never answered) and then recovers, under a steady stream of logins
 * through the LoginShare route, as Kayako sends them. The IdP is oauth2-mock-server behind a TCP proxy that can
 * stall; its issuer is the proxy's address, so discovery, tokens and keys all go through the outage.
 */
const SECRET = 'kayako-caller-secret-for-tests';
const IDP_TIMEOUT_MS = 1_500;
const PROBE_INTERVAL_MS = 500;
const RULES = 'defaults:\n  user: { usergroup: Registered }\n  staff: { team: General }\nunmatched: { user: default, staff: default }\nrules: []\n';
let idp: MockOidcIdp;
let proxy: StallableProxy;
let t: TestBridge;

beforeEach(async () => {
  idp = await startMockOidcIdp({
    users: { 'alice@corp.example': { password: 'right password', claims: { sub: 'u-alice', email: 'alice@corp.example', email_verified: true } } },
  });
  const target = new URL(idp.issuer);
  proxy = await startStallableProxy({ host: target.hostname, port: Number(target.port) });
  idp.server.issuer.url = proxy.origin;
  t = await startTestBridge({
    env: { IDP_SECRET: idp.clientSecret },
    rules: RULES,
    config: `
server: { loginTimeoutMs: 5000 }
security:
  lockout: { maxFailures: 100000, windowSeconds: 60, lockSeconds: 60 }
  rateLimit: { perIpPerMinute: 100000, perUsernamePerMinute: 100000 }
  circuitBreaker: { failureThreshold: 3, openSeconds: 30, probeIntervalMs: ${PROBE_INTERVAL_MS} }
connectors:
  - id: corp
    type: oidc
    issuer: ${proxy.origin}
    clientId: ${idp.clientId}
    clientSecret: \${IDP_SECRET}
    allowInsecureHttp: true
    timeoutMs: ${IDP_TIMEOUT_MS}
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: corp }]
`,
  });
});

afterEach(async () => {
  await t?.stop();
  await proxy.close();
  await idp.stop();
});

interface Answered {
  startedAt: number;
  ms: number;
  ok: boolean;
  message: string;
}

/** Open-loop load: a login every `everyMs` whatever the others are doing, as independent Kayako users arrive. */
function steadyLogins(everyMs: number) {
  const answers: Array<Promise<Answered>> = [];
  const timer = setInterval(() => {
    const startedAt = performance.now();
    answers.push(
      t.post(`/loginshare/main/user?key=${SECRET}`, { username: 'alice@corp.example', password: 'right password', ipaddress: '203.0.113.5' }).then((xml) => {
        const answer = readLoginShareAnswer(xml, 'user');
        return { startedAt, ms: performance.now() - startedAt, ok: answer.accepted, message: answer.accepted ? '' : answer.kayakoMessage };
      }),
    );
  }, everyMs);
  return {
    async stop(): Promise<Answered[]> {
      clearInterval(timer);
      return Promise.all(answers);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expectHealthy() {
  const xml = await t.post(`/loginshare/main/user?key=${SECRET}`, { username: 'alice@corp.example', password: 'right password', ipaddress: '203.0.113.5' });
  expect(readLoginShareAnswer(xml, 'user').accepted).toBe(true);
}

describe('logins after an IdP outage', () => {
  it('a hang shorter than the IdP timeout: the logins that hung do not shut out the ones after the recovery', async () => {
    await expectHealthy();
    const load = steadyLogins(40);
    await sleep(300);
    proxy.stall();
    await sleep(1_000);
    proxy.resume();
    const recoveredAt = performance.now();
    // Long enough for every login that hung to time out after the recovery (IDP_TIMEOUT_MS), and then some.
    await sleep(IDP_TIMEOUT_MS + 2_500);
    const answers = await load.stop();

    const afterRecovery = answers.filter((a) => a.startedAt >= recoveredAt + 2_000);
    expect(afterRecovery.length).toBeGreaterThan(20);
    expect(afterRecovery.filter((a) => !a.ok)).toEqual([]);
    // The hung ones were there (the outage was real) and were answered, as Kayako needs.
    expect(answers.some((a) => !a.ok && /temporarily unavailable/i.test(a.message))).toBe(true);
  });

  it('a long hang opens the breaker without piling up logins, and logins work within 2 s of the recovery', async () => {
    await expectHealthy();
    const load = steadyLogins(40);
    await sleep(300);
    proxy.stall();
    const stalledAt = performance.now();
    await sleep(5_000);
    const heldDuringOutage = proxy.requestsHeld();
    proxy.resume();
    const recoveredAt = performance.now();
    await sleep(IDP_TIMEOUT_MS + 3_000);
    const answers = await load.stop();

    // Only the logins of the first IdP timeout (and one probe at a time after that) ever waited on the hung IdP;
    // in all 5 s of outage, the rest were answered at once.
    const arrivedBeforeOpen = answers.filter((a) => a.startedAt >= stalledAt && a.startedAt < stalledAt + IDP_TIMEOUT_MS + 500).length;
    const probes = Math.ceil(5_000 / PROBE_INTERVAL_MS);
    expect(heldDuringOutage).toBeLessThanOrEqual(arrivedBeforeOpen + probes);
    const lateInOutage = answers.filter((a) => a.startedAt >= stalledAt + IDP_TIMEOUT_MS + 1_000 && a.startedAt < recoveredAt - 200);
    expect(lateInOutage.length).toBeGreaterThan(20);
    for (const a of lateInOutage) {
      expect(a.ok).toBe(false);
      expect(a.ms).toBeLessThan(1_000); // waiting on the IdP would take its 1.5 s timeout
    }

    // Back: every login that started 2 s after the recovery succeeded, including while the hung ones timed out.
    const afterRecovery = answers.filter((a) => a.startedAt >= recoveredAt + 2_000);
    expect(afterRecovery.length).toBeGreaterThan(20);
    expect(afterRecovery.filter((a) => !a.ok)).toEqual([]);
  });
});
