import { describe, expect, it } from 'vitest';
import { parseLoginShareForm } from '../../src/loginshare/request.js';

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
    ['over-long username', form({ username: 'a'.repeat(300), password: 'x' }), 'username is too long'],
  ])('refuses %s with a reason that never holds the password', (_name, body, reason) => {
    const parsed = parseLoginShareForm(body, 'user');
    expect(parsed).toMatchObject({ kind: 'malformed', reason });
  });

  it('requires the interface on staff logins and refuses junk interface names', () => {
    expect(parseLoginShareForm(form({ username: 'a', password: 'x' }), 'staff')).toMatchObject({ kind: 'malformed', reason: 'interface is missing' });
    expect(parseLoginShareForm(form({ username: 'a', password: 'x', interface: '<admin>' }), 'staff')).toMatchObject({ kind: 'malformed' });
  });

  it('ignores an ipaddress that is not an address (it reaches logs and rate-limit keys)', () => {
    const parsed = parseLoginShareForm(form({ username: 'a', password: 'x', ipaddress: '1.2.3.4\nforged log line' }), 'user');
    expect(parsed.kind === 'ok' && parsed.request.endUserIp).toBe('');
  });
});
