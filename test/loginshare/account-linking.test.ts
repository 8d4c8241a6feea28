import { describe, expect, it } from 'vitest';
import { canonicalStaffUsername, linkableEmails, sameStaffUsername } from '../../src/loginshare/account-linking.js';
import { identity } from '../rules/support.js';

describe('linkableEmails', () => {
  it('sends only the primary by default, lower-cased', () => {
    expect(linkableEmails({ emails: ['Pat@Corp.Example', 'pat.alias@corp.example'], aliasEmails: ['x@corp.example'] }, { emails: 'primary' })).toEqual({
      kind: 'ok',
      emails: ['pat@corp.example'],
      dropped: [],
    });
  });

  it('puts the primary first and the aliases in the same order whatever order the IdP lists them in', () => {
    const a = linkableEmails({ emails: ['pat@corp.example'], aliasEmails: ['b@corp.example', 'a@corp.example', 'PAT@corp.example'] }, { emails: 'all' });
    const b = linkableEmails({ emails: ['pat@corp.example'], aliasEmails: ['a@corp.example', 'b@corp.example'] }, { emails: 'all' });
    expect(a).toEqual({ kind: 'ok', emails: ['pat@corp.example', 'a@corp.example', 'b@corp.example'], dropped: [] });
    expect(b).toEqual(a);
  });

  it('drops addresses outside the allowed domains; *.domain allows its subdomains only', () => {
    const result = linkableEmails(
      { emails: ['pat@corp.example'], aliasEmails: ['pat@eu.corp.example', 'pat@freemail.example', 'pat@notcorp.example'] },
      { emails: 'all', emailDomains: ['corp.example', '*.corp.example'] },
    );
    expect(result).toEqual({ kind: 'ok', emails: ['pat@corp.example', 'pat@eu.corp.example'], dropped: ['pat@freemail.example', 'pat@notcorp.example'] });
    expect(linkableEmails({ emails: ['pat@corp.example'] }, { emails: 'primary', emailDomains: ['*.corp.example'] })).toEqual({ kind: 'none-allowed', dropped: ['pat@corp.example'] });
  });

  it('tells "no email at all" from "none allowed"', () => {
    expect(linkableEmails({ emails: [] }, { emails: 'primary', emailDomains: ['corp.example'] })).toEqual({ kind: 'none' });
  });
});

describe('canonicalStaffUsername', () => {
  const person = identity({ username: 'JDoe@corp.example', claims: { upn: 'john.doe@corp.example' } });
  it('gives the form the realm asks for', () => {
    expect(canonicalStaffUsername(person, 'as-typed')).toBeUndefined();
    expect(canonicalStaffUsername(person, 'username')).toBe('JDoe@corp.example');
    expect(canonicalStaffUsername(person, 'local-part')).toBe('JDoe');
    expect(canonicalStaffUsername(person, 'upn')).toBe('john.doe@corp.example');
    expect(canonicalStaffUsername(identity({ claims: { userPrincipalName: 'u@corp.example' } }), 'upn')).toBe('u@corp.example');
    expect(canonicalStaffUsername(identity({ claims: {} }), 'upn')).toBeUndefined();
  });

  it('compares as Kayako may: trimmed, capitals counting', () => {
    expect(sameStaffUsername(' JDoe ', 'JDoe')).toBe(true);
    expect(sameStaffUsername('jdoe', 'JDoe')).toBe(false);
  });
});
