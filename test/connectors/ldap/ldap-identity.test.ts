import { describe, expect, it } from 'vitest';
import { identityFromEntry, type AttributeMap } from '../../../src/connectors/ldap/ldap-identity.js';

/** Active Directory entries as ldapts returns them (objectGUID as bytes), mapped with the AD defaults. */
const AD: AttributeMap = {
  subject: ['objectGUID'],
  username: 'sAMAccountName',
  email: ['mail'],
  proxyAddresses: false,
  givenName: 'givenName',
  familyName: 'sn',
  displayName: 'displayName',
  phone: ['telephoneNumber', 'mobile'],
  title: 'title',
  extra: [],
};

const entry = {
  dn: 'CN=Jane Doe,OU=Staff,DC=corp,DC=example',
  objectGUID: Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10]),
  sAMAccountName: 'jdoe',
  // Attribute names come back as the server spells them.
  MAIL: 'Jane.Doe@Corp.Example',
  givenName: 'Jane',
  sn: 'Doe',
  mobile: '+1 555 0142',
  proxyAddresses: ['smtp:jd@old.example', 'X500:/o=ExchangeLabs/cn=Recipients/cn=jdoe', 'SMTP:jane.doe@corp.example', 'smtp:JDoe@Corp.Example'],
};

describe('directory entry → identity', () => {
  it('writes objectGUID as AD does (first three fields little-endian) and uses it as the subject', () => {
    expect(identityFromEntry(entry, AD, 'corp-ad', 'jdoe@corp.example').subject).toBe('04030201-0605-0807-090a-0b0c0d0e0f10');
  });

  it('falls back to the DN when the entry has no stable id attribute', () => {
    expect(identityFromEntry({ dn: entry.dn, sAMAccountName: 'jdoe' }, AD, 'corp-ad', 'jdoe').subject).toBe(entry.dn);
  });

  it('maps names, the first phone present, lower-cased mail; proxyAddresses only when asked, primary SMTP first', () => {
    const identity = identityFromEntry(entry, AD, 'corp-ad', 'JDOE');
    expect(identity).toMatchObject({ username: 'jdoe', givenName: 'Jane', familyName: 'Doe', phone: '+1 555 0142', emails: ['jane.doe@corp.example'] });
    const withProxies = identityFromEntry(entry, { ...AD, proxyAddresses: true }, 'corp-ad', 'jdoe');
    expect(withProxies.emails).toEqual(['jane.doe@corp.example', 'jd@old.example', 'jdoe@corp.example']);
  });

  it('keeps the attributes read as claims for rules, but never a credential attribute, whatever the server sent', () => {
    const leaky = { ...entry, userPassword: '{SSHA}c2VjcmV0LWhhc2g=', unicodePwd: Buffer.from('"secret"', 'utf16le') };
    const identity = identityFromEntry(leaky, { ...AD, extra: ['userPassword'] }, 'corp-ad', 'jdoe');
    expect(identity.claims).toMatchObject({ dn: entry.dn, sAMAccountName: 'jdoe', objectGUID: '04030201-0605-0807-090a-0b0c0d0e0f10' });
    expect(Object.keys(identity.claims).filter((k) => /pw|password/i.test(k))).toEqual([]);
  });
});
