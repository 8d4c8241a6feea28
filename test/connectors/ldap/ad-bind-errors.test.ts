import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdBindError } from '../../../src/connectors/ldap/ad-bind-errors.js';
import { createLdapConnector } from '../../../src/connectors/ldap/ldap-connector.js';
import { ldapConnectorSchema } from '../../../src/connectors/ldap/ldap-config.js';
import { deadlineIn } from '../../../src/login/deadline.js';
import type { LoginOutcome } from '../../../src/login/vocabulary.js';
import { messageForOutcome } from '../../../src/loginshare/messages.js';
import { AD_DIAGNOSTIC, startFakeActiveDirectory, type FakeActiveDirectory } from '../../support/fake-active-directory.js';

/**
 * Active Directory cannot run here. The table is tested against the diagnostic messages Microsoft documents
 * ("80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v3839" and the sub-codes of
 * the Win32 logon errors), and the connector against a fake DC that answers binds with exactly those messages.
 */
describe('AD bind sub-codes', () => {
  it.each([
    ['52e', 'invalid_credentials'],
    ['525', 'unknown_user'],
    ['530', 'disabled'],
    ['531', 'disabled'],
    ['532', 'password_expired'],
    ['533', 'disabled'],
    ['701', 'disabled'],
    ['773', 'password_expired'],
    ['775', 'locked'],
  ])('data %s → %s', (subCode, kind) => {
    expect(readAdBindError(AD_DIAGNOSTIC(subCode))?.kind).toBe(kind);
  });

  it('reads the sub-code from the forms different DCs write (DSIDs, versions, upper case, padded)', () => {
    expect(readAdBindError('80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v3839')?.kind).toBe('invalid_credentials');
    expect(readAdBindError('80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 775, v1db1')?.kind).toBe('locked');
    expect(readAdBindError('80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 773, v2580')?.kind).toBe('password_expired');
    expect(readAdBindError('80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52E, v4563')?.kind).toBe('invalid_credentials');
  });

  it('knows nothing of messages without a sub-code it has a row for', () => {
    expect(readAdBindError('Invalid credentials')).toBeUndefined();
    expect(readAdBindError('80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 0, v4563')).toBeUndefined();
    expect(readAdBindError('80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52f, v4563')).toBeUndefined();
  });
});

describe('LDAP connector against a fake AD domain controller', () => {
  let dc: FakeActiveDirectory;
  beforeAll(async () => {
    dc = await startFakeActiveDirectory({
      'alice@corp.example': { password: 'Right-1' },
      'hours@corp.example': { password: 'Right-1', refusal: '530' },
      'workstation@corp.example': { password: 'Right-1', refusal: '531' },
      'expired@corp.example': { password: 'Right-1', refusal: '532' },
      'disabled@corp.example': { password: 'Right-1', refusal: '533' },
      'acctexpired@corp.example': { password: 'Right-1', refusal: '701' },
      'mustchange@corp.example': { password: 'Right-1', refusal: '773' },
      'locked@corp.example': { password: 'Right-1', refusal: '775' },
      'ghost@corp.example': { password: 'Right-1', refusal: '525' },
    });
  });
  afterAll(async () => {
    await dc?.close();
  });

  const login = async (username: string, password: string): Promise<LoginOutcome> => {
    const connector = createLdapConnector(
      ldapConnectorSchema.parse({
        id: 'corp-ad',
        type: 'ldap',
        directory: 'active-directory',
        urls: [dc.url],
        bind: 'direct',
        bindTemplate: '{username}@corp.example',
        userSearch: { base: 'dc=corp,dc=example' },
      }),
    );
    try {
      return await connector.login({ username, password, endUserIp: '', audience: 'user', realmId: 'main' }, deadlineIn(5_000));
    } finally {
      await connector.close?.();
    }
  };

  it.each([
    ['hours', 'disabled', /logon not permitted at this time/],
    ['workstation', 'disabled', /workstation/],
    ['expired', 'password_expired', /password expired/],
    ['disabled', 'disabled', /account disabled/],
    ['acctexpired', 'disabled', /account expired/],
    ['mustchange', 'password_expired', /must be changed/],
    ['locked', 'locked', /locked out/],
  ])('%s with the right password → %s, with the message Kayako shows for OIDC', async (name, kind, detail) => {
    const outcome = await login(name, 'Right-1');
    expect(outcome.kind).toBe(kind);
    expect('detail' in outcome && outcome.detail).toMatch(detail);
    expect(messageForOutcome(outcome.kind as Exclude<LoginOutcome['kind'], 'ok'>)).not.toBe('Invalid Username or Password');
  });

  it('a wrong password (52e) is invalid_credentials; AD\'s "no such user" (525) lets the realm ask the next connector', async () => {
    expect(await login('alice', 'Wrong-1')).toEqual({ kind: 'invalid_credentials' });
    expect(await login('ghost', 'Right-1')).toEqual({ kind: 'unknown_user' });
    // A locked account says so whatever password was typed (AD does the same).
    expect((await login('locked', 'Wrong-1')).kind).toBe('locked');
  });

  it('binds with the UPN the template makes, and refuses characters no logon name has without binding', async () => {
    const before = dc.binds().length;
    expect(await login('alice)(cn=*', 'Right-1')).toEqual({ kind: 'invalid_credentials' });
    expect(await login('CORP\\alice', 'Right-1')).toEqual({ kind: 'invalid_credentials' });
    expect(dc.binds().length).toBe(before);
    await login('alice', 'Wrong-1');
    expect(dc.binds().at(-1)).toBe('alice@corp.example');
  });
});
