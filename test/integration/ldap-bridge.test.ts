import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { MESSAGES } from '../../src/loginshare/messages.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { LDAP_GROUPS_DN, LDAP_PEOPLE_DN, LDAP_USERS } from '../support/ldap-fixture.js';
import { serverInfo } from '../support/require-server.js';

/**
 * An LDAP realm through the whole bridge, as Kayako sees it: the YAML an operator writes (service password from
 * the environment, LDAPS with the CA bundle inline), rules keyed on nested groups, break-glass accounts beside it.
 */
const SECRET = 'kayako-caller-secret-for-ldap';
const slapd = serverInfo('slapd');
let t: TestBridge;

const RULES = `
defaults:
  user: { usergroup: Registered }
  staff: { team: General }
unmatched: { user: default, staff: default }
rules:
  - name: everyone-is-staff
    audience: user
    when: { groups: { any: [Everyone] } }
    set: { usergroup: Staff Members, designation: "{{ claims.title }}" }
  - name: corp-support
    audience: staff
    when: { groups: { any: [Corp] } }
    set: { team: Support }
`;

const user = (username: string, password: string) => t.post(`/loginshare/main/user?key=${SECRET}`, { username, password, ipaddress: '203.0.113.7' });
const staff = (username: string, password: string) => t.post(`/loginshare/main/staff?key=${SECRET}`, { username, password, ipaddress: '203.0.113.7', interface: 'staff' });

describe.skipIf(slapd === undefined)('LDAP realm through the bridge', () => {
  beforeAll(async () => {
    const hash = await hashPassword('breakglass-pw-456', { ln: 10, r: 8, p: 1 });
    const ca = slapd!.caPem.trim().split('\n').map((line) => `        ${line}`).join('\n');
    t = await startTestBridge({
      env: { LDAP_BIND_PASSWORD: slapd!.bindPassword },
      rules: RULES,
      config: `
connectors:
  - id: corp-ldap
    type: ldap
    directory: openldap
    urls: [${slapd!.ldapsUrl}]
    tls:
      ca: |
${ca}
    serviceAccount:
      dn: ${slapd!.bindDn}
      password: \${LDAP_BIND_PASSWORD}
    userSearch:
      base: ${LDAP_PEOPLE_DN}
    groups:
      source: search
      base: ${LDAP_GROUPS_DN}
  - id: breakglass
    type: local
    users:
      - { username: fallback-admin, passwordHash: "${hash}", email: fallback@example.com, fullName: Break Glass }
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors:
      - use: corp-ldap
      - use: breakglass
`,
    });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('a directory user lands in the usergroup a rule gives a nested group, with the entry\'s name and email', async () => {
    const verdict = readLoginShareAnswer(await user('carol', LDAP_USERS.carol.password), 'user');
    expect(verdict).toMatchObject({
      accepted: true,
      user: { usergroup: 'Staff Members', fullname: 'Carol Chen (Eng)', emails: ['carol.chen@example.com'], designation: 'Engineer', phone: '+1 555 0100' },
    });
  });

  it('a staff login gets the team of a group two levels up (Support ⊂ Corp)', async () => {
    const verdict = readLoginShareAnswer(await staff('bob-agent', LDAP_USERS.bobAgent.password), 'staff');
    expect(verdict).toMatchObject({ accepted: true, staff: { team: 'Support', firstname: 'Bob', lastname: 'Baker', email: 'bob@helpdesk.example.com' } });
  });

  it('a wrong password gets Kayako\'s own phrase; an empty one never reaches the directory', async () => {
    const wrong = readLoginShareAnswer(await user('alice', 'wrong'), 'user');
    expect(wrong).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
    const empty = readLoginShareAnswer(await user('alice', ''), 'user');
    expect(empty).toMatchObject({ accepted: false, kayakoMessage: MESSAGES.badRequest });
  });

  it('a person without mail is refused with the message that says so', async () => {
    const verdict = readLoginShareAnswer(await user('nomail', LDAP_USERS.noMail.password), 'user');
    expect(verdict).toMatchObject({ accepted: false, kayakoMessage: MESSAGES.noEmail });
  });

  it('a name the directory does not have falls through to the break-glass accounts', async () => {
    const verdict = readLoginShareAnswer(await user('fallback-admin', 'breakglass-pw-456'), 'user');
    expect(verdict).toMatchObject({ accepted: true, user: { fullname: 'Break Glass' } });
    const audit = t.logLines.filter((l) => l['event'] === 'login' && l['username'] === 'fallback-admin').pop();
    expect(audit).toMatchObject({ connector: 'breakglass', outcome: 'ok' });
  });

  it('audit lines, upstream metrics and readiness cover the LDAP connector; no password reaches the log', async () => {
    await user('zoe', LDAP_USERS.zoe.password);
    const audit = t.logLines.filter((l) => l['event'] === 'login' && l['username'] === 'zoe').pop();
    expect(audit).toMatchObject({ connector: 'corp-ldap', outcome: 'ok' });
    const metrics = await (await fetch(`${t.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/loginshare_upstream_duration_seconds_count\{connector="corp-ldap",outcome="ok"\} [1-9]/);
    const ready = await fetch(`${t.opsUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toMatch(/connector:corp-ldap/);
    for (const secret of [LDAP_USERS.carol.password, LDAP_USERS.zoe.password, LDAP_USERS.bobAgent.password, slapd!.bindPassword]) {
      expect(t.rawLog()).not.toContain(secret);
    }
  });
});
