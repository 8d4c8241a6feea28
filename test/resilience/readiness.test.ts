import { afterEach, describe, expect, it } from 'vitest';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';

/**
 * /readyz against an IdP that accepts connections and never answers (a firewall dropping the replies, a missing
 * egress rule): the kubelet's probe must get its answer at once, "degraded" and 200 — never a wait that reaches the
 * probe's timeout (the chart's 2 s) and so counts as a failure on every replica.
 */
const SECRET = 'kayako-caller-secret-for-tests';
const RULES = 'defaults:\n  user: { usergroup: Registered }\n  staff: { team: General }\nunmatched: { user: default, staff: default }\nrules: []\n';
let idp: MockOidcIdp | undefined;
let proxy: StallableProxy | undefined;
let t: TestBridge | undefined;

afterEach(async () => {
  await t?.stop();
  await proxy?.close();
  await idp?.stop();
  t = proxy = idp = undefined;
});

async function bridgeBehindProxy(options: { strict: boolean; stalled: boolean }) {
  idp = await startMockOidcIdp({
    users: { 'alice@corp.example': { password: 'right password', claims: { sub: 'u-alice', email: 'alice@corp.example', email_verified: true } } },
  });
  const target = new URL(idp.issuer);
  proxy = await startStallableProxy({ host: target.hostname, port: Number(target.port) });
  idp.server.issuer.url = proxy.origin;
  if (options.stalled) proxy.stall();
  t = await startTestBridge({
    env: { IDP_SECRET: idp.clientSecret },
    rules: RULES,
    config: `
ops: { strictReadiness: ${options.strict}, readinessIntervalMs: 200, readinessCheckTimeoutMs: 1500 }
connectors:
  - id: corp
    type: oidc
    issuer: ${proxy.origin}
    clientId: ${idp.clientId}
    clientSecret: \${IDP_SECRET}
    allowInsecureHttp: true
    timeoutMs: 10000
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: corp }]
`,
  });
  return t;
}

async function readyz(bridge: TestBridge): Promise<{ status: number; ms: number; body: { status: string; checks: Array<{ name: string; ok: boolean; error?: string }> } }> {
  const started = performance.now();
  const response = await fetch(`${bridge.opsUrl}/readyz`);
  const body = (await response.json()) as { status: string; checks: Array<{ name: string; ok: boolean; error?: string }> };
  return { status: response.status, ms: performance.now() - started, body };
}

describe('/readyz while the IdP never answers', () => {
  it('answers at once, degraded with 200, on every call — before and after the check has timed out', async () => {
    const bridge = await bridgeBehindProxy({ strict: false, stalled: true });
    const seen: string[] = [];
    const until = performance.now() + 2_500; // past the check's own 1.5 s timeout
    while (performance.now() < until) {
      const answer = await readyz(bridge);
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('degraded');
      // The chart's readiness probe times out after 2 s; the answer never comes near it.
      expect(answer.ms).toBeLessThan(750);
      seen.push(answer.body.checks.find((c) => c.name === 'connector:corp')?.error ?? '');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.at(-1)).toMatch(/no answer within 1500 ms|timed out/);
    expect(proxy!.requestsHeld()).toBeGreaterThan(0);
  });

  it('with strictReadiness: 503 at once', async () => {
    const bridge = await bridgeBehindProxy({ strict: true, stalled: true });
    await new Promise((r) => setTimeout(r, 1_800));
    const answer = await readyz(bridge);
    expect(answer.status).toBe(503);
    expect(answer.body.status).toBe('not ready');
    expect(answer.ms).toBeLessThan(750);
  });

  it('becomes ready once the IdP answers again, without a request to /readyz waiting for it', async () => {
    const bridge = await bridgeBehindProxy({ strict: false, stalled: true });
    await new Promise((r) => setTimeout(r, 500));
    proxy!.resume();
    await expect.poll(async () => (await readyz(bridge)).body.status, { timeout: 10_000, interval: 200 }).toBe('ready');
  });
});
