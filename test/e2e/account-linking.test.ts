import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KayakoEmulator } from '../support/kayako-emulator.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';

/**
 * The account traps of the protocol, through an emulated Kayako's own linking logic: an address a person can set
 * at the IdP (here a `secondary_email` claim) must not open someone else's Kayako account, and one person must not
 * become two staff accounts by typing their username in two forms.
 */
let idp: MockOidcIdp;
let t: TestBridge;
const SECRET = 'linking-test-secret-0123456789';

const RULES = `defaults:
  user: { usergroup: Registered }
  staff: { team: Support }
unmatched: { user: default, staff: default }
rules: []
`;

const realm = (id: string, extra: string) => `  - id: ${id}
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: corp }]
${extra}`;

beforeAll(async () => {
  const jdoe = { password: 'right password', claims: { sub: 'u-jdoe', preferred_username: 'jdoe@corp.example', email: 'jdoe@corp.example', email_verified: true, name: 'John Doe' } };
  idp = await startMockOidcIdp({
    users: {
      // The attacker set the victim's address as a secondary email in their own IdP profile.
      'mallory@corp.example': {
        password: 'right password',
        claims: { sub: 'u-mal', email: 'mallory@corp.example', email_verified: true, secondary_email: 'victim@customer.example', name: 'Mallory' },
      },
      'outsider@corp.example': {
        password: 'right password',
        claims: { sub: 'u-out', email: 'outsider@freemail.example', email_verified: true, name: 'Out Sider' },
      },
      'unverified@corp.example': {
        password: 'right password',
        claims: { sub: 'u-unv', email: 'unverified@corp.example', email_verified: false, secondary_email: 'second@corp.example', name: 'Un Verified' },
      },
      // The IdP accepts both forms of the same person's username (as Entra ID and AD do).
      'jdoe@corp.example': jdoe,
      jdoe,
    },
  });
  t = await startTestBridge({
    rules: RULES,
    config: `
connectors:
  - id: corp
    type: oidc
    issuer: ${idp.issuer}
    clientId: ${idp.clientId}
    clientSecret: ${idp.clientSecret}
    allowInsecureHttp: true
    claims:
      emails:
        - { claim: email, verifiedBy: email_verified }
        - { claim: secondary_email }
realms:
${realm('strict', '    staff: { usernameForm: local-part }\n')}
${realm('aliases', '    linking: { emails: all, emailDomains: [corp.example] }\n')}
${realm('open', '    linking: { emails: all }\n')}
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await idp?.stop();
});

function kayakoFor(realmId: string): KayakoEmulator {
  return new KayakoEmulator({
    userLoginShareUrl: `${t.baseUrl}/loginshare/${realmId}/user?key=${SECRET}`,
    staffLoginShareUrl: `${t.baseUrl}/loginshare/${realmId}/staff?key=${SECRET}`,
    teams: ['Support'],
    users: [{ fullname: 'Victor Victim', usergroup: 'Registered', emails: ['victim@customer.example'] }],
  });
}

describe('safe account linking', () => {
  it('without a policy, an alias the person set opens the victim\'s Kayako account (the takeover)', async () => {
    const kayako = kayakoFor('open');
    const result = await kayako.userLogin('mallory@corp.example', 'right password');
    expect(result).toMatchObject({ ok: true, created: false, user: { fullname: 'Mallory' } });
    expect(kayako.findUserByEmail('victim@customer.example')?.emails).toContain('mallory@corp.example');
  });

  it('by default only the primary email is sent: the attacker gets an account of their own', async () => {
    const kayako = kayakoFor('strict');
    const result = await kayako.userLogin('mallory@corp.example', 'right password');
    expect(result).toMatchObject({ ok: true, created: true, user: { emails: ['mallory@corp.example'] } });
    expect(kayako.findUserByEmail('victim@customer.example')).toMatchObject({ fullname: 'Victor Victim', emails: ['victim@customer.example'] });
  });

  it('with aliases allowed, an address outside the allowed domains is dropped', async () => {
    const kayako = kayakoFor('aliases');
    const result = await kayako.userLogin('mallory@corp.example', 'right password');
    expect(result).toMatchObject({ ok: true, created: true, user: { emails: ['mallory@corp.example'] } });
    expect(kayako.findUserByEmail('victim@customer.example')?.fullname).toBe('Victor Victim');
  });

  it('refuses, with a message, a person left with no email in the allowed domains, and audits what was left out', async () => {
    const kayako = kayakoFor('aliases');
    const result = await kayako.userLogin('outsider@corp.example', 'right password');
    expect(result).toMatchObject({ ok: false, errorString: 'Your account has no email address this help desk accepts. Please contact your IT help desk.' });
    expect(kayako.users).toHaveLength(1);
    expect(t.logLines.at(-1)).toMatchObject({ realm: 'aliases', outcome: 'email_refused', detail: expect.stringContaining('outsider@freemail.example') });
  });

  it('never promotes an alias when the primary email is not verified', async () => {
    const strict = await kayakoFor('strict').userLogin('unverified@corp.example', 'right password');
    expect(strict).toMatchObject({ ok: false, errorString: expect.stringMatching(/no verified email/) });
    // With aliases allowed the alias is sent, but never in the primary's place by accident: it is the only one.
    const aliases = await kayakoFor('aliases').userLogin('unverified@corp.example', 'right password');
    expect(aliases).toMatchObject({ ok: true, user: { emails: ['second@corp.example'] } });
  });
});

describe('one Kayako staff account per person', () => {
  it('refuses the other form of the username, names the form to use, and audits both', async () => {
    const kayako = kayakoFor('strict');
    const first = await kayako.staffLogin('jdoe', 'right password');
    expect(first).toMatchObject({ ok: true, created: true, staff: { username: 'jdoe' } });

    const other = await kayako.staffLogin('jdoe@corp.example', 'right password');
    expect(other).toMatchObject({ ok: false });
    if (!other.ok) expect(other.errorString).toBe('Please sign in with the username jdoe, so that you keep a single staff account.');
    expect(kayako.staff).toHaveLength(1);
    expect(t.logLines.at(-1)).toMatchObject({ realm: 'strict', outcome: 'staff_username_form', username: 'jdoe@corp.example', canonicalUsername: 'jdoe' });

    expect(await kayako.staffLogin('jdoe', 'right password')).toMatchObject({ ok: true, created: false });
    expect(t.logLines.at(-1)).toMatchObject({ outcome: 'ok', username: 'jdoe', canonicalUsername: 'jdoe' });
  });

  it('without a username form, Kayako makes a second staff account of the same person', async () => {
    const kayako = kayakoFor('open');
    await kayako.staffLogin('jdoe', 'right password');
    await kayako.staffLogin('jdoe@corp.example', 'right password');
    expect(kayako.staff.map((s) => s.username)).toEqual(['jdoe', 'jdoe@corp.example']);
  });
});
