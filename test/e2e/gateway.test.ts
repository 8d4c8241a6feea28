import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';

/**
 * The gateway over HTTP, spoken to the way Kayako speaks (form POST, body only) and read the way Kayako reads
 * (readLoginShareAnswer models SWIFT_LoginShareUser/Staff). Local break-glass accounts + an OIDC IdP on loopback.
 */
const SECRET = 'kayako-caller-secret-for-tests';
const PASSWORDS = ['right password', 'wrong password', 'breakglass-pw-123', 'not-the-password'];
let idp: MockOidcIdp;
let t: TestBridge;

const RULES = `
defaults:
  user: { usergroup: Registered }
  staff: { team: General }
unmatched: { user: default, staff: default }
rules:
  - name: contractors-denied
    when: { groups: { any: [Contractors] } }
    deny: "Contractors use the partner portal"
  - name: agents
    audience: staff
    when: { groups: { any: [Helpdesk-Agents] } }
    set: { team: Support, designation: "{{ claims.jobTitle }}" }
  - name: enterprise
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: "BigCorp & Sons", organizationtype: shared }
`;

const user = (fields: Record<string, string>, key = SECRET) => t.post(`/loginshare/main/user?key=${encodeURIComponent(key)}`, { ipaddress: '203.0.113.5', ...fields });
const staff = (fields: Record<string, string>) => t.post(`/loginshare/main/staff?key=${SECRET}`, { ipaddress: '203.0.113.5', interface: 'staff', ...fields });

beforeAll(async () => {
  idp = await startMockOidcIdp({
    users: {
      'alice@corp.example': {
        password: 'right password',
        claims: { sub: 'u-alice', email: 'Alice@Corp.Example', email_verified: true, name: 'Alice Ångström <CTO>', groups: ['Enterprise'] },
      },
      'agent@corp.example': {
        password: 'right password',
        claims: { sub: 'u-agent', email: 'agent@corp.example', email_verified: true, name: 'Agent Smith', groups: ['Helpdesk-Agents'], jobTitle: 'Tier 2 & Escalations' },
      },
      'contractor@corp.example': {
        password: 'right password',
        claims: { sub: 'u-con', email: 'con@corp.example', email_verified: true, name: 'Con Tractor', groups: ['Contractors'] },
      },
    },
  });
  const hash = await hashPassword('breakglass-pw-123', { ln: 10, r: 8, p: 1 });
  t = await startTestBridge({
    env: { IDP_SECRET: idp.clientSecret },
    rules: RULES,
    config: `
security:
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 }
connectors:
  - id: breakglass
    type: local
    users:
      - { username: fallback-admin, passwordHash: "${hash}", email: fallback@example.com, fullName: Break Glass }
  - id: corp
    type: oidc
    issuer: ${idp.issuer}
    clientId: ${idp.clientId}
    clientSecret: \${IDP_SECRET}
    allowInsecureHttp: true
    timeoutMs: 2000
  - id: dead
    type: oidc
    issuer: http://127.0.0.1:9/
    clientId: x
    clientSecret: y
    allowInsecureHttp: true
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors:
      - use: breakglass
      - use: dead
        domains: [dead.example]
      - use: corp
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await idp?.stop();
});

describe('user logins as Kayako sees them', () => {
  it('a corporate user lands in the usergroup and organization the rules chose', async () => {
    const verdict = readLoginShareAnswer(await user({ username: 'alice@corp.example', password: 'right password' }), 'user');
    expect(verdict).toMatchObject({
      accepted: true,
      user: { usergroup: 'Enterprise', fullname: 'Alice Ångström <CTO>', emails: ['alice@corp.example'], organization: 'BigCorp & Sons', organizationtype: 'shared' },
    });
  });

  it('a wrong password gets exactly Kayako\'s own phrase, so Kayako\'s lockout counts it', async () => {
    const verdict = readLoginShareAnswer(await user({ username: 'alice@corp.example', password: 'wrong password' }), 'user');
    expect(verdict).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
  });

  it('a rule can deny with its own message', async () => {
    const verdict = readLoginShareAnswer(await user({ username: 'contractor@corp.example', password: 'right password' }), 'user');
    expect(verdict).toMatchObject({ accepted: false, kayakoMessage: 'Contractors use the partner portal' });
  });

  it('break-glass local accounts are consulted before the IdP', async () => {
    const before = idp.tokenRequests();
    const verdict = readLoginShareAnswer(await user({ username: 'fallback-admin', password: 'breakglass-pw-123' }), 'user');
    expect(verdict).toMatchObject({ accepted: true, user: { fullname: 'Break Glass', emails: ['fallback@example.com'] } });
    expect(idp.tokenRequests()).toBe(before);
    const audit = t.logLines.filter((l) => l['event'] === 'login' && l['username'] === 'fallback-admin').pop();
    expect(audit).toMatchObject({ connector: 'breakglass', outcome: 'ok' });
  });

  it('an IdP that is down gives a clear service message, not a crash', async () => {
    const verdict = readLoginShareAnswer(await user({ username: 'bob@dead.example', password: 'whatever' }), 'user');
    expect(verdict).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/temporarily unavailable/) });
    const audit = t.logLines.filter((l) => l['event'] === 'login' && l['username'] === 'bob@dead.example').pop();
    expect(audit).toMatchObject({ connector: 'dead', outcome: 'unavailable', level: 'error' });
  });
});

describe('staff logins', () => {
  it('all seven nodes, team and designation from the rules, escaped', async () => {
    const verdict = readLoginShareAnswer(await staff({ username: 'agent@corp.example', password: 'right password' }), 'staff');
    expect(verdict).toMatchObject({
      accepted: true,
      staff: { team: 'Support', firstname: 'Agent', lastname: 'Smith', designation: 'Tier 2 & Escalations', email: 'agent@corp.example' },
    });
  });

  it('the Admin CP is refused unless the realm allows it', async () => {
    const before = idp.tokenRequests();
    const verdict = readLoginShareAnswer(await staff({ username: 'agent@corp.example', password: 'right password', interface: 'admin' }), 'staff');
    expect(verdict).toMatchObject({ accepted: false });
    expect(idp.tokenRequests()).toBe(before); // the password never left the bridge
  });
});

describe('whatever arrives, Kayako gets well-formed LoginShare XML', () => {
  it.each([
    ['a missing secret', () => fetch(`${t.baseUrl}/loginshare/main/user`, { method: 'POST', body: 'username=a&password=b' })],
    ['a wrong secret', () => fetch(`${t.baseUrl}/loginshare/main/user?key=nope`, { method: 'POST', body: 'username=a&password=b' })],
    ['an unknown realm', () => fetch(`${t.baseUrl}/loginshare/other/user?key=${SECRET}`, { method: 'POST', body: 'username=a&password=b' })],
    ['a GET', () => fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`)],
    ['a PUT', () => fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`, { method: 'PUT', body: 'username=a&password=b' })],
    ['a URL that is no LoginShare URL', () => fetch(`${t.baseUrl}/loginshare/main/users?key=${SECRET}`, { method: 'POST', body: 'username=a&password=b' })],
    ['a broken escape in the realm', () => fetch(`${t.baseUrl}/loginshare/ma%zzin/user?key=${SECRET}`, { method: 'POST', body: 'username=a&password=b' })],
    ['an empty body', () => fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`, { method: 'POST', body: '' })],
    ['a JSON body', () => fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"a"}' })],
    ['a 1 MB body', () => fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`, { method: 'POST', body: `username=a&password=${'x'.repeat(1_000_000)}` })],
    ['a staff POST without interface', () => fetch(`${t.baseUrl}/loginshare/main/staff?key=${SECRET}`, { method: 'POST', body: 'username=a&password=b' })],
    ['a binary body', () => fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`, { method: 'POST', body: new Uint8Array([0xff, 0xfe, 0x00, 0x41, 0x26]) })],
  ])('%s', async (_name, send) => {
    const response = await send();
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(response.headers.get('location')).toBeNull();
    const verdict = readLoginShareAnswer(await response.text(), 'user');
    // A refusal Kayako can read: result 0 and a message — not "Invalid data provided".
    expect(verdict).toMatchObject({ accepted: false, code: 'login-failed' });
    expect(verdict.accepted === false && verdict.kayakoMessage.length).toBeGreaterThan(5);
  });

  it('the audit line carries the ingress\'s X-Request-Id (or a fresh one), echoed in the answer', async () => {
    const tagged = await fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`, {
      method: 'POST',
      headers: { 'x-request-id': 'ingress-req-42' },
      body: 'username=alice%40corp.example&password=wrong+password',
    });
    expect(tagged.headers.get('x-request-id')).toBe('ingress-req-42');
    expect(t.logLines.some((l) => l['requestId'] === 'ingress-req-42' && l['event'] === 'login')).toBe(true);
    const forged = await fetch(`${t.baseUrl}/loginshare/main/user?key=${SECRET}`, { method: 'POST', headers: { 'x-request-id': 'bad id "} {"level":"fatal' }, body: 'username=a&password=b' });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a refused caller leaves an audit line naming the reason', async () => {
    await fetch(`${t.baseUrl}/loginshare/main/user?key=wrong`, { method: 'POST', body: 'username=mallory&password=guess' });
    expect(t.logLines.some((l) => l['outcome'] === 'caller_refused' && l['reason'] === 'wrong_secret')).toBe(true);
  });
});

describe('brute force', () => {
  it('locks a username after repeated wrong passwords and stops asking the IdP', async () => {
    for (let i = 0; i < 3; i++) await user({ username: 'agent@corp.example', password: 'not-the-password' });
    const before = idp.tokenRequests();
    const verdict = readLoginShareAnswer(await user({ username: 'agent@corp.example', password: 'right password' }), 'user');
    expect(verdict).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/locked/) });
    expect(idp.tokenRequests()).toBe(before);
  });
});

describe('rules reload', () => {
  it('a broken rules file keeps the last good rules; a fixed one takes effect without a restart', async () => {
    await writeFile(join(t.dir, 'rules.yaml'), 'rules:\n  - name: broken\n    when: { groups: { any: Enterprise } }\n');
    await new Promise((r) => setTimeout(r, 2_500));
    let verdict = readLoginShareAnswer(await user({ username: 'alice@corp.example', password: 'right password' }), 'user');
    expect(verdict).toMatchObject({ accepted: true, user: { usergroup: 'Enterprise' } });
    expect(t.logLines.some((l) => l['msg'] === 'rules file rejected: keeping the last good rules' && String((l['err'] as { message: string }).message).includes('rules.yaml:3'))).toBe(true);

    await writeFile(join(t.dir, 'rules.yaml'), RULES.replace('usergroup: Enterprise,', 'usergroup: Platinum,'));
    await new Promise((r) => setTimeout(r, 2_500));
    verdict = readLoginShareAnswer(await user({ username: 'alice@corp.example', password: 'right password' }), 'user');
    expect(verdict).toMatchObject({ accepted: true, user: { usergroup: 'Platinum' } });

    // The version gauge names only the rules in force now, and the failed reload was counted.
    const metrics = await (await fetch(`${t.opsUrl}/metrics`)).text();
    expect(metrics.match(/^loginshare_rules_info\{realm="main",version="[0-9a-f]{12}"\} 1$/gm)).toHaveLength(1);
    expect(metrics).toMatch(/loginshare_rules_reloads_total\{realm="main",result="failed"\} [1-9]/);
  });
});

describe('secrets stay secret', () => {
  it('no password ever appears in any log line', () => {
    const log = t.rawLog();
    expect(log.length).toBeGreaterThan(1000);
    for (const password of PASSWORDS) expect(log).not.toContain(password);
    expect(log).not.toContain(idp.clientSecret);
  });

  it('ops port: metrics count logins by outcome without usernames', async () => {
    const metrics = await (await fetch(`${t.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/loginshare_logins_total\{realm="main",audience="user",connector="corp",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/loginshare_logins_total\{[^}]*outcome="invalid_credentials"\} \d+/);
    expect(metrics).not.toContain('alice');
    expect((await fetch(`${t.opsUrl}/healthz`)).status).toBe(200);
  });
});
