import { describe, expect, it } from 'vitest';
import { escapeDnValue, fillDnTemplate, fillFilter, logonNameAllowed } from '../../../src/connectors/ldap/ldap-escape.js';
import { firstRdnValue, normalizeDn } from '../../../src/connectors/ldap/ldap-dn.js';

describe('filter values (RFC 4515)', () => {
  it.each([
    ['alice', '(uid=alice)'],
    ['*', '(uid=\\2a)'],
    [')(uid=*', '(uid=\\29\\28uid=\\2a)'],
    ['*)(|(uid=*', '(uid=\\2a\\29\\28|\\28uid=\\2a)'],
    ['back\\slash', '(uid=back\\5cslash)'],
    ['nul\0byte', '(uid=nul\\00byte)'],
    ['Zoë', '(uid=Zoë)'],
  ])('%j → %s', (value, filter) => {
    expect(fillFilter('(uid={username})', { username: value })).toBe(filter);
  });

  it('fills every placeholder of a template, each escaped', () => {
    expect(fillFilter('(|(sAMAccountName={username})(mail={username}))', { username: 'a*' })).toBe('(|(sAMAccountName=a\\2a)(mail=a\\2a))');
  });
});

describe('DN values (RFC 4514)', () => {
  it.each([
    ['alice', 'alice'],
    ['a,b', 'a\\,b'],
    ['a+b', 'a\\+b'],
    ['"q"', '\\"q\\"'],
    ['<x>;', '\\<x\\>\\;'],
    ['back\\slash', 'back\\\\slash'],
    ['#lead', '\\#lead'],
    ['mid#dle', 'mid#dle'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    ['a=b', 'a\\=b'],
    ['nul\0', 'nul\\00'],
  ])('%j → %s', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
  });

  it('a username cannot add RDNs to a DN template', () => {
    expect(fillDnTemplate('uid={username},ou=people,dc=example,dc=com', 'x,ou=admins')).toBe('uid=x\\,ou\\=admins,ou=people,dc=example,dc=com');
  });

  it('reads back what it wrote: the first RDN value of a DN, hex and character escapes undone', () => {
    expect(firstRdnValue(`cn=${escapeDnValue('Sales, EMEA + "Partners"')},ou=groups,dc=x`)).toBe('Sales, EMEA + "Partners"');
    expect(firstRdnValue('cn=Caf\\C3\\A9 \\2C Bar,ou=groups')).toBe('Café , Bar');
    expect(normalizeDn('CN=Support, OU=Groups,DC=Example')).toBe('cn=support,ou=groups,dc=example');
  });
});

describe('logon names for non-DN bind templates', () => {
  it('allows what sAMAccountName and UPN allow, refuses the rest', () => {
    expect(logonNameAllowed('alice.smith')).toBe(true);
    expect(logonNameAllowed('alice@corp.example')).toBe(true);
    for (const bad of ['a,b', 'a=b', 'CORP\\a', 'a*', 'a"b', 'a;b', 'a<b', 'a\0']) expect(logonNameAllowed(bad), bad).toBe(false);
  });
});
