import { describe, expect, it } from 'vitest';
import { judgeLoginShareAnswer, type KayakoVerdict } from '../../src/probe/kayako-judge.js';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

function userAnswer(inner: string, result = '1'): string {
  return `${DECL}<loginshare><result>${result}</result><user>${inner}</user></loginshare>`;
}

const BASIC_USER = '<usergroup>Registered</usergroup><fullname>John Doe</fullname><emails><email>john.doe@example.com</email></emails>';

type StaffFields = Partial<Record<'team' | 'firstname' | 'lastname' | 'designation' | 'email' | 'mobilenumber' | 'signature', string | null>>;

/** A staff answer with all seven elements; null leaves one out. */
function staffAnswer(fields: StaffFields = {}, result = '1'): string {
  const defaults = { team: 'Support', firstname: 'John', lastname: 'Doe', designation: 'Engineer', email: 'john.doe@example.com', mobilenumber: '123-456-789', signature: 'Kind regards, John' };
  const inner = Object.entries({ ...defaults, ...fields })
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join('');
  return `${DECL}<loginshare><result>${result}</result><staff>${inner}</staff></loginshare>`;
}

function failure(message: string): string {
  return `${DECL}<loginshare><result>0</result><message>${message}</message></loginshare>`;
}

function refused(verdict: KayakoVerdict): Extract<KayakoVerdict, { accepted: false }> {
  if (verdict.accepted) throw new Error(`expected a refusal, got ${JSON.stringify(verdict)}`);
  return verdict;
}

describe('judgeLoginShareAnswer: user success', () => {
  it('accepts the protocol note example and reads every field', () => {
    const verdict = judgeLoginShareAnswer(
      userAnswer(
        '<usergroup>Registered</usergroup><fullname>John Doe</fullname><designation>CEO</designation>' +
          '<organization>Example Inc.</organization><organizationtype>shared</organizationtype>' +
          '<emails><email>John.Doe@Example.COM</email><email>jdoe@example.net</email></emails><phone>123-456-789</phone>',
      ),
      'user',
    );
    expect(verdict).toEqual({
      accepted: true,
      audience: 'user',
      user: {
        usergroup: 'Registered',
        fullname: 'John Doe',
        emails: ['john.doe@example.com', 'jdoe@example.net'],
        designation: 'CEO',
        organization: 'Example Inc.',
        organizationtype: 'shared',
        phone: '123-456-789',
      },
      warnings: [],
    });
  });

  it('keeps non-Latin names and unescapes entities and CDATA', () => {
    const verdict = judgeLoginShareAnswer(
      userAnswer('<usergroup>Kunden &amp; Partner</usergroup><fullname><![CDATA[Jürgen Müller-Łukasz 山田 <J&M>]]></fullname><emails><email>j@example.com</email></emails>'),
      'user',
    );
    expect(verdict.accepted && verdict.audience === 'user' && verdict.user).toMatchObject({
      usergroup: 'Kunden & Partner',
      fullname: 'Jürgen Müller-Łukasz 山田 <J&M>',
    });
  });

  it('does not check the root element name and ignores attributes', () => {
    const verdict = judgeLoginShareAnswer(`<anything version="2"><result kind="x">1</result><user>${BASIC_USER}</user></anything>`, 'user');
    expect(verdict.accepted).toBe(true);
  });

  it('defaults organizationtype to restricted and ignores an empty or "0" organization', () => {
    const empty = judgeLoginShareAnswer(userAnswer(`${BASIC_USER}<organization></organization><organizationtype>Public</organizationtype>`), 'user');
    expect(empty.accepted && empty.audience === 'user' && empty.user.organization).toBeUndefined();
    expect(empty.accepted && empty.audience === 'user' && empty.user.organizationtype).toBe('restricted');
    expect(empty.warnings.join('\n')).toMatch(/neither shared nor restricted/);
    const zero = judgeLoginShareAnswer(userAnswer(`${BASIC_USER}<organization>0</organization>`), 'user');
    expect(zero.accepted && zero.audience === 'user' && zero.user.organization).toBeUndefined();
  });

  it('warns that % and _ in an organization are SQL LIKE wildcards', () => {
    const verdict = judgeLoginShareAnswer(userAnswer(`${BASIC_USER}<organization>100%_Corp</organization>`), 'user');
    expect(verdict.accepted).toBe(true);
    expect(verdict.warnings.join('\n')).toMatch(/wildcards/);
  });

  it('warns about values longer than Kayako columns', () => {
    const verdict = judgeLoginShareAnswer(
      userAnswer(`<usergroup>Registered</usergroup><fullname>${'n'.repeat(201)}</fullname><emails><email>a@example.com</email></emails><phone>${'1'.repeat(26)}</phone>`),
      'user',
    );
    expect(verdict.accepted).toBe(true);
    expect(verdict.warnings.filter((w) => /column holds/.test(w))).toHaveLength(2);
  });
});

describe('judgeLoginShareAnswer: user emails', () => {
  it('drops invalid emails silently, lower-cases and de-duplicates the rest', () => {
    const verdict = judgeLoginShareAnswer(
      userAnswer('<usergroup>R</usergroup><fullname>X</fullname><emails><email>not-an-email</email><email>A@Example.com</email><email>a b@example.com</email><email>a@example.com</email><email>user@localhost</email></emails>'),
      'user',
    );
    expect(verdict.accepted && verdict.audience === 'user' && verdict.user.emails).toEqual(['a@example.com']);
    expect(verdict.warnings.filter((w) => /drops the invalid email/.test(w))).toHaveLength(3);
    expect(verdict.warnings.join('\n')).toMatch(/sent twice/);
  });

  it('refuses with "No Emails" when none is valid, even with surrounding spaces', () => {
    const verdict = refused(judgeLoginShareAnswer(userAnswer('<usergroup>R</usergroup><fullname>X</fullname><emails><email> a@example.com </email></emails>'), 'user'));
    expect(verdict).toMatchObject({ code: 'no-valid-email', kayakoMessage: 'Invalid data provided: No Emails' });
  });

  it('refuses an empty <emails> element with "No Emails"', () => {
    expect(refused(judgeLoginShareAnswer(userAnswer('<usergroup>R</usergroup><fullname>X</fullname><emails/>'), 'user')).kayakoMessage).toBe(
      'Invalid data provided: No Emails',
    );
  });
});

describe('judgeLoginShareAnswer: result and failure', () => {
  it('shows the message of a failure verbatim and says whether Kayako counts it', () => {
    const bad = refused(judgeLoginShareAnswer(failure('Invalid Username or Password'), 'user'));
    expect(bad).toMatchObject({ code: 'login-failed', kayakoMessage: 'Invalid Username or Password' });
    expect(bad.reason).toMatch(/lockout counts/);
    const disabled = refused(judgeLoginShareAnswer(failure('Your account is disabled &amp; locked'), 'staff'));
    expect(disabled.kayakoMessage).toBe('Your account is disabled & locked');
    expect(disabled.reason).toMatch(/does not count/);
  });

  it('warns when a failure has no message', () => {
    const verdict = refused(judgeLoginShareAnswer(`${DECL}<loginshare><result>0</result></loginshare>`, 'user'));
    expect(verdict.kayakoMessage).toBe('');
    expect(verdict.warnings.join('\n')).toMatch(/empty error/);
  });

  it.each([
    ['', '""'],
    ['true', 'non-numeric'],
    ['0x1', 'hex is not numeric in PHP'],
    ['.5', 'truncates to 0'],
  ])('reads <result>%s</result> as 0 (%s)', (result) => {
    expect(refused(judgeLoginShareAnswer(userAnswer(BASIC_USER, result), 'user')).code).toBe('login-failed');
  });

  it.each(['1abc', ' 1', '1.9', '+1', '01'])('reads <result>%s</result> as 1, with a warning', (result) => {
    const verdict = judgeLoginShareAnswer(userAnswer(BASIC_USER, result), 'user');
    expect(verdict.accepted).toBe(true);
    expect(verdict.warnings.join('\n')).toMatch(/Send exactly 1/);
  });

  it.each(['2', '-1', '5', '1e1'])('refuses <result>%s</result> with "Invalid data provided: 5"', (result) => {
    expect(refused(judgeLoginShareAnswer(userAnswer(BASIC_USER, result), 'user'))).toMatchObject({
      code: 'incomplete-answer',
      kayakoMessage: 'Invalid data provided: 5',
    });
  });
});

describe('judgeLoginShareAnswer: bodies Kayako cannot parse', () => {
  it.each([
    ['an empty body', '', 'Invalid data provided: 1'],
    ['the body "0"', '0', 'Invalid data provided: 1'],
    ['only whitespace', ' \n\t ', 'Invalid data provided: 2'],
    ['a PHP warning before <?xml', `Warning: Undefined variable $x in /srv/ls.php on line 3\n${userAnswer(BASIC_USER)}`, 'Invalid data provided: 2'],
    ['an unescaped &', failure('Tom & Jerry'), 'Invalid data provided: 2'],
    ['an unescaped <', failure('a < b'), 'Invalid data provided: 2'],
    ['an HTML entity', failure('a&nbsp;b'), 'Invalid data provided: 2'],
    ['a BOM followed by a newline', `\ufeff\n${userAnswer(BASIC_USER)}`, 'Invalid data provided: 2'],
    ['two root elements', `${failure('x')}<extra/>`, 'Invalid data provided: 2'],
    ['an HTML redirect page', '<html><head><title>302 Found</title></head><body><h1>Found</h1><p>The document has moved <a href="https://sso.example.com/">here</a>.</p></body></html>', 'Invalid data provided: 2'],
    ['JSON', '{"result":1}', 'Invalid data provided: 2'],
    ['a prefixed <result>', '<ls:loginshare xmlns:ls="urn:x"><ls:result>1</ls:result></ls:loginshare>', 'Invalid data provided: 2'],
    ['a control character', failure('bell\u0007'), 'Invalid data provided: 2'],
  ])('refuses %s', (_what, body, message) => {
    expect(refused(judgeLoginShareAnswer(body, 'user')).kayakoMessage).toBe(message);
  });

  it('refuses bytes that are not the declared encoding', () => {
    const latin1InUtf8 = new Uint8Array(Buffer.from(`${DECL}<loginshare><result>0</result><message>caf\xe9</message></loginshare>`, 'latin1'));
    expect(refused(judgeLoginShareAnswer(latin1InUtf8, 'user')).kayakoMessage).toBe('Invalid data provided: 2');
  });

  it('accepts a BOM directly before the declaration, with a warning (libxml2 does)', () => {
    const verdict = judgeLoginShareAnswer(`\ufeff${userAnswer(BASIC_USER)}`, 'user');
    expect(verdict.accepted).toBe(true);
    expect(verdict.warnings.join('\n')).toMatch(/byte-order mark/);
  });

  it('accepts surrounding whitespace (Kayako trims) and a missing declaration, with a warning', () => {
    const verdict = judgeLoginShareAnswer(`\n\n  <loginshare><result>1</result><user>${BASIC_USER}</user></loginshare>\n`, 'user');
    expect(verdict.accepted).toBe(true);
    expect(verdict.warnings.join('\n')).toMatch(/No XML declaration/);
  });

  it('names the start of a malformed body in the reason', () => {
    expect(refused(judgeLoginShareAnswer('<br />\n<b>Fatal error</b>', 'user')).reason).toMatch(/starts with: "<br \/>/);
  });
});

describe('judgeLoginShareAnswer: required elements', () => {
  it.each([
    ['<fullname>', '<usergroup>R</usergroup><emails><email>a@example.com</email></emails>'],
    ['<usergroup>', '<fullname>X</fullname><emails><email>a@example.com</email></emails>'],
    ['<emails>', '<usergroup>R</usergroup><fullname>X</fullname>'],
  ])('refuses a user success without %s', (_missing, inner) => {
    expect(refused(judgeLoginShareAnswer(userAnswer(inner), 'user')).kayakoMessage).toBe('Invalid data provided: 5');
  });

  it('points out a staff answer sent to the user URL', () => {
    expect(refused(judgeLoginShareAnswer(staffAnswer(), 'user')).reason).toMatch(/carries <staff>/);
    expect(refused(judgeLoginShareAnswer(userAnswer(BASIC_USER), 'staff')).reason).toMatch(/carries <user>/);
  });

  it.each(['team', 'firstname', 'lastname', 'designation', 'email', 'mobilenumber', 'signature'] as const)('refuses a staff success without <%s>', (name) => {
    expect(refused(judgeLoginShareAnswer(staffAnswer({ [name]: null }), 'staff')).kayakoMessage).toBe('Invalid data provided: 5');
  });

  it('accepts a staff success whose optional values are present but empty', () => {
    const verdict = judgeLoginShareAnswer(staffAnswer({ lastname: '', designation: '', mobilenumber: '', signature: '' }), 'staff');
    expect(verdict).toMatchObject({ accepted: true, staff: { firstname: 'John', lastname: '', signature: '' } });
  });

  it('keeps multi-line signatures and non-Latin staff names', () => {
    const verdict = judgeLoginShareAnswer(staffAnswer({ firstname: 'Юлия', lastname: '王', signature: 'Grüße\r\nJulia' }), 'staff');
    expect(verdict).toMatchObject({ accepted: true, staff: { firstname: 'Юлия', lastname: '王', signature: 'Grüße\nJulia' } });
  });

  it('warns that a mobile number over 20 characters is cut, and about an invalid staff email', () => {
    const verdict = judgeLoginShareAnswer(staffAnswer({ mobilenumber: '+44 (0) 20 7946 0958 ext. 1234', email: 'jdoe' }), 'staff');
    expect(verdict.accepted).toBe(true);
    expect(verdict.warnings.join('\n')).toMatch(/<mobilenumber> is 30 characters; Kayako's column holds 20/);
    expect(verdict.warnings.join('\n')).toMatch(/not a valid address/);
  });
});

describe('judgeLoginShareAnswer with facts about the Kayako instance', () => {
  const groups = { userGroups: ['Registered', 'Enterprise'] };

  it('refuses an unknown user group for a new user with "Invalid Group"', () => {
    const verdict = refused(judgeLoginShareAnswer(userAnswer(BASIC_USER.replace('Registered', 'Gold')), 'user', { ...groups, accountExists: false }));
    expect(verdict).toMatchObject({ code: 'invalid-group', kayakoMessage: 'Invalid data provided: Invalid Group' });
  });

  it('lets an existing user in despite an unknown group, warning that group and name stay', () => {
    const verdict = judgeLoginShareAnswer(userAnswer(BASIC_USER.replace('Registered', 'Gold')), 'user', { ...groups, accountExists: true });
    expect(verdict.accepted).toBe(true);
    expect(verdict.warnings.join('\n')).toMatch(/keeps the user's current group and does not update the full name/);
  });

  it('refuses when it is unknown whether the account exists and only a returning login would work', () => {
    const verdict = refused(judgeLoginShareAnswer(userAnswer(BASIC_USER.replace('Registered', 'Gold')), 'user', groups));
    expect(verdict.code).toBe('invalid-group');
    expect(verdict.reason).toMatch(/^For a first login \(new account\): .*The other case would be accepted/);
  });

  it('matches group titles exactly, noting a case-only match', () => {
    const verdict = refused(judgeLoginShareAnswer(userAnswer(BASIC_USER.replace('Registered', 'registered')), 'user', { ...groups, accountExists: false }));
    expect(verdict.code).toBe('invalid-group');
    expect(verdict.warnings.join('\n')).toMatch(/only ignoring case/);
  });

  it('refuses an empty full name, except for an existing user whose group is unknown', () => {
    const blankName = userAnswer('<usergroup>Registered</usergroup><fullname> </fullname><emails><email>a@example.com</email></emails>');
    expect(refused(judgeLoginShareAnswer(blankName, 'user', { accountExists: false })).code).toBe('account-data-rejected');
    expect(refused(judgeLoginShareAnswer(blankName, 'user', { ...groups, accountExists: true })).code).toBe('account-data-rejected');
    expect(judgeLoginShareAnswer(blankName.replace('Registered', 'Gold'), 'user', { ...groups, accountExists: true }).accepted).toBe(true);
  });

  it('refuses an unknown team for new staff and ignores the team for existing staff', () => {
    const teams = { teams: ['Support', 'Admins'] };
    expect(refused(judgeLoginShareAnswer(staffAnswer({ team: 'Sales' }), 'staff', { ...teams, accountExists: false })).kayakoMessage).toBe(
      'Invalid data provided: Invalid Group',
    );
    const existing = judgeLoginShareAnswer(staffAnswer({ team: 'Sales' }), 'staff', { ...teams, accountExists: true });
    expect(existing.accepted).toBe(true);
    expect(existing.warnings.join('\n')).toMatch(/harmless for an existing staff member/);
  });

  it('requires an admin team for the Admin CP', () => {
    const facts = { teams: ['Support', 'Admins'], adminTeams: ['Admins'], interface: 'admin', accountExists: false };
    const notAdmin = refused(judgeLoginShareAnswer(staffAnswer({ team: 'Support' }), 'staff', facts));
    expect(notAdmin).toMatchObject({ code: 'not-admin-team', kayakoMessage: 'Staff Group is not Admin' });
    expect(notAdmin.reason).toMatch(/falls back to its local staff passwords/);
    expect(judgeLoginShareAnswer(staffAnswer({ team: 'Admins' }), 'staff', facts).accepted).toBe(true);
    expect(judgeLoginShareAnswer(staffAnswer({ team: 'Support' }), 'staff', { ...facts, interface: 'staff' }).accepted).toBe(true);
  });

  it('refuses staff without an email, and without a first name unless it is a first login with a last name', () => {
    expect(refused(judgeLoginShareAnswer(staffAnswer({ email: '' }), 'staff', { accountExists: false })).code).toBe('account-data-rejected');
    const noFirstName = staffAnswer({ firstname: '' });
    const created = judgeLoginShareAnswer(noFirstName, 'staff', { accountExists: false });
    expect(created.accepted).toBe(true);
    expect(created.warnings.join('\n')).toMatch(/every later login fails/);
    expect(refused(judgeLoginShareAnswer(noFirstName, 'staff', { accountExists: true })).code).toBe('account-data-rejected');
    expect(refused(judgeLoginShareAnswer(noFirstName, 'staff')).reason).toMatch(/^For a returning login/);
    expect(refused(judgeLoginShareAnswer(staffAnswer({ firstname: '', lastname: '' }), 'staff', { accountExists: false })).code).toBe('account-data-rejected');
  });
});
