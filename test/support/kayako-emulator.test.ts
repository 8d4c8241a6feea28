import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { childNamed, loadSimpleXml } from '../../src/probe/simplexml.js';
import { KayakoEmulator, type KayakoEmulatorOptions } from './kayako-emulator.js';

/** A canned LoginShare server on loopback: the answer is chosen by the POSTed username. */
let server: Server;
let base: string;
const answers = new Map<string, string>();
const posted: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      posted.push(form);
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(answers.get(form.get('username') ?? '') ?? failure('Invalid Username or Password'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  answers.clear();
  posted.length = 0;
});

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

function failure(message: string): string {
  return `${DECL}<loginshare><result>0</result><message>${message}</message></loginshare>`;
}

function userSuccess(user: { usergroup: string; fullname: string; emails: string[]; organization?: string; designation?: string; phone?: string }): string {
  const optional = (['organization', 'designation', 'phone'] as const)
    .filter((name) => user[name] !== undefined)
    .map((name) => `<${name}>${user[name]}</${name}>`)
    .join('');
  const emails = user.emails.map((email) => `<email>${email}</email>`).join('');
  return `${DECL}<loginshare><result>1</result><user><usergroup>${user.usergroup}</usergroup><fullname>${user.fullname}</fullname>${optional}<emails>${emails}</emails></user></loginshare>`;
}

function staffSuccess(staff: Partial<Record<'team' | 'firstname' | 'lastname' | 'designation' | 'email' | 'mobilenumber' | 'signature', string>>): string {
  const values = { team: 'Support', firstname: 'Jo', lastname: 'Doe', designation: '', email: 'jo@example.com', mobilenumber: '', signature: '', ...staff };
  const inner = Object.entries(values)
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join('');
  return `${DECL}<loginshare><result>1</result><staff>${inner}</staff></loginshare>`;
}

function kayako(options: Omit<KayakoEmulatorOptions, 'userLoginShareUrl' | 'staffLoginShareUrl'> = {}): KayakoEmulator {
  return new KayakoEmulator({ userLoginShareUrl: `${base}/loginshare/main/user`, staffLoginShareUrl: `${base}/loginshare/main/staff`, ...options });
}

describe('KayakoEmulator: users', () => {
  it('creates a new user in the answered group, with lower-cased emails and a new organization', async () => {
    const k = kayako({ userGroups: ['Registered', 'Enterprise'] });
    answers.set('Jane@BigCorp.com', userSuccess({ usergroup: 'Enterprise', fullname: 'Jane Roe', emails: ['Jane@BigCorp.com', 'not-an-email'], organization: 'BigCorp' }));

    const result = await k.userLogin('Jane@BigCorp.com', 'pw', '198.51.100.4');

    expect(result.ok && result.created).toBe(true);
    const user = k.findUserByEmail('jane@bigcorp.com')!;
    expect(k.groupOf(user)).toBe('Enterprise');
    expect(user).toMatchObject({ fullname: 'Jane Roe', emails: ['jane@bigcorp.com'] });
    expect(k.organizationOf(user)?.name).toBe('BigCorp');
    expect(k.changes.map((c) => c.kind)).toEqual(['organization-created', 'user-created']);
    expect(posted[0] && Object.fromEntries(posted[0])).toEqual({ username: 'Jane@BigCorp.com', password: 'pw', ipaddress: '198.51.100.4' });
    expect(k.calls[0]!.fields.password).toBe('***');
  });

  it('links by email: the last matching email wins, new emails are added, taken ones are not', async () => {
    const k = kayako({
      users: [
        { fullname: 'Alice', usergroup: 'Registered', emails: ['alice@example.com'] },
        { fullname: 'Bob', usergroup: 'Registered', emails: ['bob@example.com'] },
      ],
    });
    answers.set('bob', userSuccess({ usergroup: 'Registered', fullname: 'Robert', emails: ['alice@example.com', 'bob@example.com', 'rob@example.org'] }));

    const result = await k.userLogin('bob', 'pw');

    expect(result.ok && !result.created && result.user.fullname).toBe('Robert');
    expect(k.findUserByEmail('bob@example.com')!.emails).toEqual(['bob@example.com', 'rob@example.org']);
    expect(k.findUserByEmail('alice@example.com')!.fullname).toBe('Alice');
    expect(k.users).toHaveLength(2);
    expect(k.changes).toEqual([
      { kind: 'user-email-added', userId: k.findUserByEmail('bob@example.com')!.id, email: 'rob@example.org' },
      { kind: 'user-updated', userId: k.findUserByEmail('bob@example.com')!.id, field: 'fullname', from: 'Bob', to: 'Robert' },
    ]);
  });

  it('lets an existing user in with an unknown group, changing neither group nor name', async () => {
    const k = kayako({ users: [{ fullname: 'Carol', usergroup: 'Registered', emails: ['carol@example.com'] }] });
    answers.set('carol@example.com', userSuccess({ usergroup: 'Gold', fullname: 'Carol King', emails: ['carol@example.com'], designation: 'CTO', organization: 'Acme' }));

    const result = await k.userLogin('carol@example.com', 'pw');

    expect(result.ok).toBe(true);
    const carol = k.findUserByEmail('carol@example.com')!;
    expect(k.groupOf(carol)).toBe('Registered');
    expect(carol.fullname).toBe('Carol');
    expect(carol.designation).toBe('CTO');
    // The organization is created before Kayako knows the user exists, but never linked to her.
    expect(carol.organizationId).toBe(0);
    expect(k.organizations.map((o) => o.name)).toEqual(['Acme']);
  });

  it('refuses a new user whose group does not exist', async () => {
    const k = kayako();
    answers.set('dan@example.com', userSuccess({ usergroup: 'registered', fullname: 'Dan', emails: ['dan@example.com'] }));

    const result = await k.userLogin('dan@example.com', 'pw');

    expect(result).toMatchObject({ ok: false, errorString: 'Invalid data provided: Invalid Group', exception: false });
    expect(k.users).toHaveLength(0);
  });

  it('matches group titles case-insensitively only when told to behave like MySQL _ci', async () => {
    const k = kayako({ titleMatching: 'mysql-ci' });
    answers.set('dan@example.com', userSuccess({ usergroup: 'registered ', fullname: 'Dan', emails: ['dan@example.com'] }));
    expect((await k.userLogin('dan@example.com', 'pw')).ok).toBe(true);
  });

  it('matches organizations with SQL LIKE, so % and _ are wildcards', async () => {
    const k = kayako({ organizations: ['Example Inc.', 'ABC Ltd'] });
    answers.set('e@example.com', userSuccess({ usergroup: 'Registered', fullname: 'E', emails: ['e@example.com'], organization: 'Example%' }));
    answers.set('f@example.com', userSuccess({ usergroup: 'Registered', fullname: 'F', emails: ['f@example.com'], organization: 'A_C Ltd' }));

    await k.userLogin('e@example.com', 'pw');
    await k.userLogin('f@example.com', 'pw');

    expect(k.organizationOf(k.findUserByEmail('e@example.com')!)?.name).toBe('Example Inc.');
    expect(k.organizationOf(k.findUserByEmail('f@example.com')!)?.name).toBe('ABC Ltd');
    expect(k.organizations).toHaveLength(2);
  });

  it('throws (an error page) when an existing user gets an empty full name', async () => {
    const k = kayako({ users: [{ fullname: 'Gus', usergroup: 'Registered', emails: ['gus@example.com'] }] });
    answers.set('gus@example.com', userSuccess({ usergroup: 'Registered', fullname: '  ', emails: ['gus@example.com'] }));
    expect(await k.userLogin('gus@example.com', 'pw')).toMatchObject({ ok: false, errorString: 'Invalid data provided', exception: true });
    expect(k.findUserByEmail('gus@example.com')!.fullname).toBe('Gus');
  });

  it('shows the LoginShare message on failure and "Invalid data provided: 2" on a malformed answer', async () => {
    const k = kayako();
    expect(await k.userLogin('nobody@example.com', 'wrong')).toMatchObject({ ok: false, errorString: 'Invalid Username or Password' });
    answers.set('broken@example.com', `${DECL}<loginshare><result>0</result><message>Tom & Jerry</message></loginshare>`);
    expect(await k.userLogin('broken@example.com', 'pw')).toMatchObject({ ok: false, errorString: 'Invalid data provided: 2' });
    expect(k.changes).toEqual([]);
  });
});

describe('KayakoEmulator: staff', () => {
  const teams = [{ title: 'Support' }, { title: 'Admins', isAdmin: true }];

  it('creates staff in the answered team and links later logins by the typed username only', async () => {
    const k = kayako({ teams });
    answers.set('jdoe', staffSuccess({ mobilenumber: '+44 (0) 20 7946 0958 ext 12' }));
    answers.set('jdoe@corp.example', staffSuccess({}));

    const first = await k.staffLogin('jdoe', 'pw');
    const again = await k.staffLogin('jdoe', 'pw');
    const other = await k.staffLogin('jdoe@corp.example', 'pw');

    expect(first.ok && first.created).toBe(true);
    expect(again.ok && !again.created && again.staff.id).toBe(first.ok && first.staff.id);
    expect(other.ok && other.created).toBe(true);
    expect(k.staff.map((s) => s.username)).toEqual(['jdoe', 'jdoe@corp.example']);
    expect(k.findStaff('jdoe')!.mobilenumber).toBe('+44 (0) 20 7946 0958');
    expect(posted[0]!.get('interface')).toBe('staff');
  });

  it('keeps an existing member\'s team and non-empty signature, designation and mobile number', async () => {
    const k = kayako({
      teams,
      staff: [{ username: 'kim', team: 'Support', firstname: 'Kim', email: 'kim@example.com', signature: 'Cheers, Kim', designation: '', mobilenumber: '555' }],
    });
    answers.set('kim', staffSuccess({ team: 'Admins', firstname: 'Kimberly', lastname: 'Lee', email: 'KIM@example.com', signature: 'New sig', designation: 'Lead', mobilenumber: '777' }));

    const result = await k.staffLogin('kim', 'pw');

    expect(result.ok).toBe(true);
    const kim = k.findStaff('kim')!;
    expect(k.teamOf(kim).title).toBe('Support');
    expect(kim).toMatchObject({ firstname: 'Kimberly', lastname: 'Lee', fullname: 'Kimberly Lee', email: 'kim@example.com', signature: 'Cheers, Kim', designation: 'Lead', mobilenumber: '555' });
  });

  it('refuses new staff whose team does not exist', async () => {
    const k = kayako({ teams });
    answers.set('lou', staffSuccess({ team: 'Sales' }));
    expect(await k.staffLogin('lou', 'pw')).toMatchObject({ ok: false, errorString: 'Invalid data provided: Invalid Group' });
    expect(k.staff).toHaveLength(0);
  });

  it('requires an admin team in the Admin CP, then falls back to the local password', async () => {
    const k = kayako({ teams, staff: [{ username: 'root', team: 'Admins', firstname: 'Root', email: 'root@example.com', localPassword: 'local-secret' }] });
    answers.set('max', staffSuccess({ team: 'Support' }));
    answers.set('ada', staffSuccess({ team: 'Admins' }));

    expect(await k.staffLogin('max', 'pw', 'admin')).toMatchObject({ ok: false, errorString: 'Staff Group is not Admin' });
    expect(await k.staffLogin('ada', 'pw', 'admin')).toMatchObject({ ok: true, created: true, via: 'loginshare' });
    expect(await k.staffLogin('root', 'local-secret', 'admin')).toMatchObject({ ok: true, via: 'local-fallback' });
    expect(await k.staffLogin('root', 'local-secret', 'staff')).toMatchObject({ ok: false });
    expect(posted.map((form) => form.get('interface'))).toEqual(['admin', 'admin', 'admin', 'staff']);
  });

  it('refuses to update an existing member when the first name is empty', async () => {
    const k = kayako({ teams, staff: [{ username: 'ned', team: 'Support', firstname: 'Ned', email: 'ned@example.com' }] });
    answers.set('ned', staffSuccess({ firstname: '' }));
    expect(await k.staffLogin('ned', 'pw')).toMatchObject({ ok: false, errorString: 'Invalid data provided', exception: true });
  });
});

describe('KayakoEmulator: StaffAPI login', () => {
  it('answers kayako_staffapi XML with the staff id on success', async () => {
    const k = kayako({ teams: ['Support'] });
    answers.set('pat', staffSuccess({}));

    const xml = await k.staffApiLogin('pat', 'pw');

    const loaded = loadSimpleXml(new TextEncoder().encode(xml));
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const root = loaded.document.root;
    expect(root.name).toBe('kayako_staffapi');
    expect(childNamed(root, 'status')?.text).toBe('1');
    expect(childNamed(root, 'error')?.text).toBe('');
    expect(childNamed(root, 'sessionid')?.text).toMatch(/^[0-9a-f]{32}$/);
    expect(childNamed(root, 'staffid')?.text).toBe(String(k.findStaff('pat')!.id));
    expect(posted[0]!.get('interface')).toBe('staffapi');
  });

  it('answers status -1 with Kayako\'s own phrase, not the LoginShare message', async () => {
    const k = kayako({ teams: ['Support'] });
    answers.set('quinn', failure('Your account is disabled'));
    const xml = await k.staffApiLogin('quinn', 'pw');
    expect(xml).toContain('<status>-1</status>');
    expect(xml).toContain('<error>Invalid Username or Password</error>');
    expect(await k.staffApiLogin('', 'pw')).toContain('<status>-1</status>');
    expect(posted).toHaveLength(1);
  });
});
