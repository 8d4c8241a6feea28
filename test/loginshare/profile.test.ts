import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../src/login/vocabulary.js';
import { buildStaffProfile, buildUserProfile, fullName, normalizeEmails, staffNames } from '../../src/loginshare/profile.js';
import { isEmailValidLikeKayako } from '../../src/probe/php-email.js';

const identity = (over: Partial<Identity> = {}): Identity => ({
  subject: 'sub-1',
  username: 'jdoe',
  emails: ['John.Doe@Example.com'],
  groups: [],
  claims: {},
  connectorId: 'test',
  ...over,
});

describe('identity → Kayako user', () => {
  it('lower-cases and de-duplicates emails, primary first, dropping invalid ones', () => {
    const result = buildUserProfile(identity({ emails: ['John.Doe@Example.com', 'john.doe@example.com', 'not-an-email', 'JD@Example.NET'] }), {});
    expect(result.kind === 'ok' && result.profile.emails).toEqual(['john.doe@example.com', 'jd@example.net']);
  });

  it('sends no address Kayako would drop: a login whose only email Kayako refuses gets the bridge\'s own message', () => {
    const odd = `vip-o'b&<x>]]>"@corp.example`;
    expect(isEmailValidLikeKayako(odd)).toBe(false);
    expect(buildUserProfile(identity({ emails: [odd] }), {})).toEqual({ kind: 'incomplete', missing: 'email' });
    expect(buildStaffProfile(identity({ emails: [odd] }), { team: 'Support' })).toEqual({ kind: 'incomplete', missing: 'email' });
    expect(normalizeEmails([odd, "O'Brien@Corp.Example", 'a..b@corp.example', 'a@corp', 'jörg@corp.example', 'a@xn--bcher-kva.ch'])).toEqual([
      "o'brien@corp.example",
      'a@xn--bcher-kva.ch',
    ]);
  });

  it('every address it keeps is one Kayako\'s validator (PHP FILTER_VALIDATE_EMAIL, replicated in src/probe) accepts', () => {
    const piece = fc.stringMatching(/^[a-z0-9.!#$%&'*+\/=?^_`{|}~<>"()\[\]@ -]{1,12}$/);
    fc.assert(
      fc.property(piece, piece, fc.constantFrom('com', 'example', 'c0m', '123', 'xn--p1ai', '-x', 'x-'), (local, host, tld) => {
        for (const kept of normalizeEmails([`${local}@${host}.${tld}`])) expect(isEmailValidLikeKayako(kept), kept).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('uses the rules\' usergroup, else Kayako\'s stock "Registered"', () => {
    expect(buildUserProfile(identity(), { usergroup: 'Enterprise' })).toMatchObject({ profile: { usergroup: 'Enterprise' } });
    expect(buildUserProfile(identity(), {})).toMatchObject({ profile: { usergroup: 'Registered' } });
  });

  it('refuses to build a user without any usable email (Kayako would fail with "No Emails")', () => {
    expect(buildUserProfile(identity({ emails: [] }), {})).toEqual({ kind: 'incomplete', missing: 'email' });
    expect(buildUserProfile(identity({ emails: ['nope'] }), {})).toEqual({ kind: 'incomplete', missing: 'email' });
  });

  it('never sends an empty full name: display name, then given + family, then username', () => {
    expect(fullName(identity({ displayName: 'John Doe' }))).toBe('John Doe');
    expect(fullName(identity({ givenName: 'John', familyName: 'Doe' }))).toBe('John Doe');
    expect(fullName(identity({ displayName: '  ' }))).toBe('jdoe');
  });
});

describe('identity → Kayako staff', () => {
  it('derives first and last name from a display name when the IdP has no given/family name', () => {
    expect(staffNames(identity({ displayName: 'Mary Jane Watson' }))).toEqual({ first: 'Mary Jane', last: 'Watson' });
    expect(staffNames(identity({ displayName: 'Watson, Mary' }))).toEqual({ first: 'Mary', last: 'Watson' });
    expect(staffNames(identity({ displayName: 'Cher' }))).toEqual({ first: 'Cher', last: '' });
    expect(staffNames(identity({ username: 'jdoe@corp.example' }))).toEqual({ first: 'jdoe', last: '' });
  });

  it('fills all seven nodes, primary email, team from the rules', () => {
    const result = buildStaffProfile(identity({ givenName: 'John', familyName: 'Doe', phone: '+1 555 0100' }), { team: 'Support', designation: 'Engineer' });
    expect(result).toEqual({
      kind: 'ok',
      profile: { team: 'Support', firstname: 'John', lastname: 'Doe', designation: 'Engineer', email: 'john.doe@example.com', mobilenumber: '+15550100', signature: '' },
    });
  });

  it('sends no mobile number rather than a truncated one (Kayako stores 20 characters)', () => {
    const result = buildStaffProfile(identity({ phone: '+44 (0) 20 7946 0958 ext. 12345' }), { team: 'Support' });
    expect(result.kind === 'ok' && result.profile.mobilenumber).toBe('');
  });

  it('needs a team from the rules', () => {
    expect(buildStaffProfile(identity(), {})).toEqual({ kind: 'incomplete', missing: 'team' });
  });
});
