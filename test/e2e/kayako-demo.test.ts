import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { DEMO_CONFIG_PATH } from '../../src/cli/config-path.js';
import { KayakoEmulator } from '../support/kayako-emulator.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';

/**
 * The embedded demo driven by an emulated Kayako: what a person sees and which Kayako accounts are created,
 * linked and updated. This is the quick start's promise, checked through Kayako's own account logic.
 */
let t: TestBridge;
let kayako: KayakoEmulator;
const SECRET = 'demo-secret-not-for-production';

beforeAll(async () => {
  t = await startTestBridge({
    config: await readFile(DEMO_CONFIG_PATH, 'utf8'),
    rules: await readFile(DEMO_CONFIG_PATH.replace('config.yaml', 'rules.yaml'), 'utf8'),
  });
  kayako = new KayakoEmulator({
    userLoginShareUrl: `${t.baseUrl}/loginshare/demo/user?key=${SECRET}`,
    staffLoginShareUrl: `${t.baseUrl}/loginshare/demo/staff?key=${SECRET}`,
    userGroups: ['Registered', 'Enterprise'],
    teams: ['Support', { title: 'Administrators', isAdmin: true }],
    users: [{ fullname: 'Erin (old name)', usergroup: 'Registered', emails: ['erin.e@bigcorp.example'] }],
  });
});
afterAll(async () => {
  await t?.stop();
});

describe('support-center users through Kayako', () => {
  it('a first login creates the user in the default group', async () => {
    const result = await kayako.userLogin('alice', 'alice-demo-password', '198.51.100.1');
    expect(result).toMatchObject({ ok: true, created: true, user: { fullname: 'Alice Archer', emails: ['alice@example.com'] } });
    const group = kayako.userGroups.find((g) => result.ok && g.id === result.user.usergroupId);
    expect(group?.title).toBe('Registered');
  });

  it('an existing Kayako user is found by a secondary email, updated, and gains the primary email', async () => {
    const result = await kayako.userLogin('erin', 'erin-demo-password', '198.51.100.2');
    expect(result).toMatchObject({ ok: true, created: false, user: { fullname: 'Erin Enterprise' } });
    if (!result.ok) return;
    expect(result.user.emails).toEqual(expect.arrayContaining(['erin.e@bigcorp.example', 'erin@bigcorp.example']));
    expect(kayako.userGroups.find((g) => g.id === result.user.usergroupId)?.title).toBe('Enterprise');
  });

  it('a denied person sees the rule\'s message and no account is created', async () => {
    const before = kayako.users.length;
    const result = await kayako.userLogin('carl', 'carl-demo-password', '198.51.100.3');
    expect(result).toMatchObject({ ok: false, errorString: 'Contractors use the partner portal' });
    expect(kayako.users.length).toBe(before);
  });

  it('a wrong password shows Kayako\'s own phrase', async () => {
    expect(await kayako.userLogin('alice', 'nope', '198.51.100.4')).toMatchObject({ ok: false, errorString: 'Invalid Username or Password' });
  });
});

describe('staff through Kayako', () => {
  it('a helpdesk agent becomes staff in the Support team', async () => {
    const result = await kayako.staffLogin('sam', 'sam-demo-password', 'staff');
    expect(result).toMatchObject({ ok: true, created: true, staff: { username: 'sam', firstname: 'Sam', lastname: 'Support', designation: 'Support Engineer' } });
    expect(kayako.teams.find((team) => result.ok && team.id === result.staff.teamId)?.title).toBe('Support');
  });

  it('the Admin CP admits helpdesk admins and refuses agents', async () => {
    expect(await kayako.staffLogin('ada', 'ada-demo-password', 'admin')).toMatchObject({ ok: true, via: 'loginshare' });
    expect(await kayako.staffLogin('sam', 'sam-demo-password', 'admin')).toMatchObject({ ok: false });
  });

  it('the desktop and mobile apps log in through the StaffAPI', async () => {
    const xml = await kayako.staffApiLogin('sam', 'sam-demo-password');
    expect(xml).toMatch(/<status>1<\/status>/);
    expect(xml).toMatch(/<sessionid>[^<]+<\/sessionid>/);
    expect(await kayako.staffApiLogin('sam', 'wrong')).toMatch(/<status>-1<\/status>/);
  });
});
