import { describe, expect, it } from 'vitest';
import { parseLoginShareForm, readFormFields } from '../../src/loginshare/request.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('parsing the LoginShare form Kayako posts', () => {
  it('reads a user login (username, password, ipaddress)', () => {
    const parsed = parseLoginShareForm(form({ username: 'alice@example.com', password: 'p&ss=w+rd %', ipaddress: '203.0.113.7' }), 'user');
    expect(parsed).toEqual({
      kind: 'ok',
      request: { audience: 'user', username: 'alice@example.com', password: 'p&ss=w+rd %', endUserIp: '203.0.113.7' },
    });
  });

  it('reads the staff interface, lower-cased', () => {
    const parsed = parseLoginShareForm(form({ username: 'sam', password: 'x', ipaddress: '::1', interface: 'WinApp' }), 'staff');
    expect(parsed.kind === 'ok' && parsed.request.staffInterface).toBe('winapp');
  });

  it('keeps a password exactly as typed (spaces, unicode) but trims the username', () => {
    const parsed = parseLoginShareForm(form({ username: '  bob ', password: '  pässwörd  ', ipaddress: '' }), 'user');
    expect(parsed.kind === 'ok' && parsed.request).toMatchObject({ username: 'bob', password: '  pässwörd  ', endUserIp: '' });
  });

  it.each([
    ['missing username', form({ password: 'x' }), 'username is missing'],
    ['blank username', form({ username: '   ', password: 'x' }), 'username is missing'],
    ['missing password', form({ username: 'a' }), 'password is missing'],
    ['empty body', '', 'username is missing'],
    ['username twice', 'username=a&username=b&password=x', 'a field was sent more than once'],
    ['control characters', form({ username: 'a\u0000b', password: 'x' }), 'username has control characters'],
    ['a character XML cannot carry', form({ username: 'jdoe\uFFFE', password: 'x' }), 'username has characters an XML answer cannot carry (U+FFFE, U+FFFF)'],
    ['over-long username', form({ username: 'a'.repeat(300), password: 'x' }), 'username is too long'],
  ])('refuses %s with a reason that never holds the password', (_name, body, reason) => {
    const parsed = parseLoginShareForm(body, 'user');
    expect(parsed).toMatchObject({ kind: 'malformed', reason });
  });

  it('requires the interface on staff logins and refuses junk interface names', () => {
    expect(parseLoginShareForm(form({ username: 'a', password: 'x' }), 'staff')).toMatchObject({ kind: 'malformed', reason: 'interface is missing', message: expect.stringMatching(/the "interface" field is missing/) });
    expect(parseLoginShareForm(form({ username: 'a', password: 'x', interface: '<admin>' }), 'staff')).toMatchObject({ kind: 'malformed' });
  });

  it('ignores an ipaddress that is not an address (it reaches logs and rate-limit keys)', () => {
    const parsed = parseLoginShareForm(form({ username: 'a', password: 'x', ipaddress: '1.2.3.4\nforged log line' }), 'user');
    expect(parsed.kind === 'ok' && parsed.request.endUserIp).toBe('');
  });
});

describe('reading the form fields', () => {
  /** What the WHATWG form rules (URLSearchParams) make of a body, for the four fields. */
  function standard(body: string): Record<string, string | undefined | null> {
    const form = new URLSearchParams(body);
    const one = (name: string) => {
      const values = form.getAll(name);
      return values.length > 1 ? null : values[0];
    };
    return { username: one('username'), password: one('password'), ipaddress: one('ipaddress'), interface: one('interface') };
  }

  it.each([
    'username=alice&password=pw&ipaddress=203.0.113.7',
    'username=a+b%20c&password=p%26ss%3Dw%2Brd%20%25',
    'username=J%C3%BCrgen&password=%E5%B1%B1%E7%94%B0&interface=staff',
    '?username=leading-question-mark&password=x',
    'username=&password=&ipaddress=',
    'username&password=x',
    '&&username=a&&password=b&&',
    'user%6Eame=escaped-name&password=x',
    'username=a=b=c&password=x=y',
    'username=one&username=two&password=x',
    'password=x&ipaddress=1.2.3.4&ipaddress=5.6.7.8',
    // Escapes decodeURIComponent refuses: the standard decoder keeps them as typed.
    'username=100%&password=50%25off',
    'username=%zz&password=%E2%82',
    'username=%FF%FE&password=%C3',
    'username=%ED%A0%80&password=x',
    '',
    '=',
    '&',
    'username=%2B+%2b&password=+',
  ])('reads %j as URLSearchParams does', (body) => {
    const parsed = parseLoginShareForm(body, 'user');
    const expected = standard(body);
    if (expected['username'] === null || expected['password'] === null || expected['ipaddress'] === null) {
      expect(parsed).toMatchObject({ kind: 'malformed', reason: 'a field was sent more than once' });
    } else if (parsed.kind === 'ok') {
      expect(parsed.request.username).toBe(expected['username']?.trim());
      expect(parsed.request.password).toBe(expected['password']);
    } else {
      // Refused for what the standard reading holds (a missing username or password), never for how it was read.
      expect(!expected['username']?.trim() || !expected['password'] || /control characters|cannot carry/.test(parsed.reason)).toBe(true);
    }
  });

  it('agrees with URLSearchParams on random bodies made of the characters that matter', () => {
    const alphabet = ['username', 'password', 'ipaddress', 'interface', '=', '&', '+', '%', '%2', '%41', '%C3%A9', '%E2%82%AC', '%FF', '?', 'a', ' ', 'é'];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3_000; i++) {
      const body = Array.from({ length: 1 + Math.floor(random() * 14) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(readFormFields(body), body).toEqual(standard(body));
    }
  });
});
