import { describe, expect, it } from 'vitest';
import { evaluateRules, parseRules, type RuleInput } from '../../src/rules/index.js';
import { login } from './support.js';

/** Rules with one conditional user rule `hit` (setting usergroup Hit) and the defaults otherwise. */
function userRule(when: string) {
  return parseRules(
    `rules:\n  - name: hit\n    audience: user\n    when: ${when}\n    set: { usergroup: Hit }\n`,
    'rules.yaml',
  );
}

function matches(when: string, input: RuleInput): boolean {
  return evaluateRules(userRule(when), input).rule === 'hit';
}

describe('groups', () => {
  it('any: one listed group is enough, compared case-insensitively', () => {
    const when = '{ groups: { any: [Enterprise, Partners] } }';
    expect(matches(when, login('user', { groups: ['enterprise'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['Customers', 'PARTNERS'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['Customers'] }))).toBe(false);
    expect(matches(when, login('user', { groups: [] }))).toBe(false);
  });

  it('all: every listed group is needed', () => {
    const when = '{ groups: { all: [Customers, Enterprise] } }';
    expect(matches(when, login('user', { groups: ['Customers', 'Enterprise', 'Other'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['Customers'] }))).toBe(false);
  });

  it('none: holds only without any listed group', () => {
    const when = '{ groups: { none: [Contractors, Interns] } }';
    expect(matches(when, login('user', { groups: ['Customers'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['Customers', 'interns'] }))).toBe(false);
  });

  it('any, all and none together must all hold', () => {
    const when = '{ groups: { any: [A, B], all: [C], none: [D] } }';
    expect(matches(when, login('user', { groups: ['B', 'C'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['B', 'C', 'D'] }))).toBe(false);
    expect(matches(when, login('user', { groups: ['B'] }))).toBe(false);
  });

  it('exact (default) compares whole Keycloak paths, so a bare name does not match a path', () => {
    expect(matches('{ groups: { any: [/corp/support] } }', login('user', { groups: ['/corp/Support'] }))).toBe(true);
    expect(matches('{ groups: { any: [support] } }', login('user', { groups: ['/corp/support'] }))).toBe(false);
    expect(matches('{ groups: { any: [/corp] } }', login('user', { groups: ['/corp/support'] }))).toBe(false);
  });

  it('match: last-segment compares the last segment of paths (and flat names as they are)', () => {
    const when = '{ groups: { any: [support], match: last-segment } }';
    expect(matches(when, login('user', { groups: ['/corp/Support'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['/partners/support'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['support'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['/support/corp'] }))).toBe(false);
    const none = '{ groups: { none: [contractors], match: last-segment } }';
    expect(matches(none, login('user', { groups: ['/corp/contractors'] }))).toBe(false);
  });
});

describe('claims', () => {
  it('equals compares the claim text; an array claim matches when any element does', () => {
    const when = '{ claims: { department: { equals: Support } } }';
    expect(matches(when, login('user', { claims: { department: 'Support' } }))).toBe(true);
    expect(matches(when, login('user', { claims: { department: 'support' } }))).toBe(false);
    expect(matches(when, login('user', { claims: { department: ['Sales', 'Support'] } }))).toBe(true);
    expect(matches(when, login('user', { claims: { department: ['Sales'] } }))).toBe(false);
    expect(matches(when, login('user', { claims: {} }))).toBe(false);
  });

  it('equals matches numbers and booleans whether the IdP sends them as text or not', () => {
    expect(matches('{ claims: { level: { equals: 3 } } }', login('user', { claims: { level: 3 } }))).toBe(true);
    expect(matches('{ claims: { level: { equals: 3 } } }', login('user', { claims: { level: '3' } }))).toBe(true);
    expect(matches('{ claims: { level: { equals: 3 } } }', login('user', { claims: { level: 4 } }))).toBe(false);
    expect(matches('{ claims: { vip: { equals: true } } }', login('user', { claims: { vip: true } }))).toBe(true);
    expect(matches('{ claims: { vip: { equals: true } } }', login('user', { claims: { vip: 'true' } }))).toBe(true);
    expect(matches('{ claims: { vip: { equals: true } } }', login('user', { claims: { vip: false } }))).toBe(false);
  });

  it('ignoreCase makes equals and in case-insensitive', () => {
    expect(matches('{ claims: { d: { equals: support, ignoreCase: true } } }', login('user', { claims: { d: 'SUPPORT' } }))).toBe(true);
    expect(matches('{ claims: { d: { in: [a, B], ignoreCase: true } } }', login('user', { claims: { d: ['x', 'b'] } }))).toBe(true);
  });

  it('in matches one of the listed values', () => {
    const when = '{ claims: { country: { in: [DE, AT, CH] } } }';
    expect(matches(when, login('user', { claims: { country: 'AT' } }))).toBe(true);
    expect(matches(when, login('user', { claims: { country: 'FR' } }))).toBe(false);
    expect(matches(when, login('user', { claims: { country: ['FR', 'CH'] } }))).toBe(true);
  });

  it('regex must match the whole value', () => {
    const when = '{ claims: { title: { regex: "Senior .*" } } }';
    expect(matches(when, login('user', { claims: { title: 'Senior Engineer' } }))).toBe(true);
    expect(matches(when, login('user', { claims: { title: 'Not a Senior Engineer' } }))).toBe(false);
    expect(matches('{ claims: { role: { regex: admin } } }', login('user', { claims: { role: 'notadmin' } }))).toBe(false);
    expect(matches('{ claims: { role: { regex: "adm|ops" } } }', login('user', { claims: { role: ['x', 'ops'] } }))).toBe(true);
    expect(matches('{ claims: { role: { regex: "ADMIN", ignoreCase: true } } }', login('user', { claims: { role: 'admin' } }))).toBe(true);
  });

  it('regex never matches values longer than 1024 characters', () => {
    const when = '{ claims: { note: { regex: "a*" } } }';
    expect(matches(when, login('user', { claims: { note: 'a'.repeat(1024) } }))).toBe(true);
    expect(matches(when, login('user', { claims: { note: 'a'.repeat(1025) } }))).toBe(false);
  });

  it('exists: true needs a present, non-null claim; exists: false the opposite', () => {
    expect(matches('{ claims: { vip: { exists: true } } }', login('user', { claims: { vip: false } }))).toBe(true);
    expect(matches('{ claims: { vip: { exists: true } } }', login('user', { claims: { vip: null } }))).toBe(false);
    expect(matches('{ claims: { vip: { exists: true } } }', login('user', { claims: {} }))).toBe(false);
    expect(matches('{ claims: { vip: { exists: false } } }', login('user', { claims: {} }))).toBe(true);
    expect(matches('{ claims: { vip: { exists: false } } }', login('user', { claims: { vip: 'x' } }))).toBe(false);
  });

  it('dotted paths reach nested claims and array elements; claim names containing dots work too', () => {
    expect(matches('{ claims: { address.country: { equals: DE } } }', login('user', { claims: { address: { country: 'DE' } } }))).toBe(true);
    expect(matches('{ claims: { roles.1: { equals: b } } }', login('user', { claims: { roles: ['a', 'b'] } }))).toBe(true);
    const namespaced = '{ claims: { "https://example.com/roles": { equals: agent } } }';
    expect(matches(namespaced, login('user', { claims: { 'https://example.com/roles': ['agent'] } }))).toBe(true);
  });

  it('an object claim never equals a value', () => {
    expect(matches('{ claims: { address: { equals: DE } } }', login('user', { claims: { address: { country: 'DE' } } }))).toBe(false);
  });
});

describe('email_domain', () => {
  it('compares the primary email domain, case-insensitively', () => {
    const when = '{ email_domain: [BigCorp.com] }';
    expect(matches(when, login('user', { emails: ['ann@bigcorp.com'] }))).toBe(true);
    expect(matches(when, login('user', { emails: ['ann@BIGCORP.COM'] }))).toBe(true);
    expect(matches(when, login('user', { emails: ['ann@other.com', 'ann@bigcorp.com'] }))).toBe(false);
    expect(matches(when, login('user', { emails: [] }))).toBe(false);
  });

  it('matches subdomains only through an explicit *.domain', () => {
    expect(matches('{ email_domain: [bigcorp.com] }', login('user', { emails: ['ann@eu.bigcorp.com'] }))).toBe(false);
    expect(matches('{ email_domain: [bigcorp.com] }', login('user', { emails: ['ann@notbigcorp.com'] }))).toBe(false);
    const wildcard = '{ email_domain: ["*.bigcorp.com"] }';
    expect(matches(wildcard, login('user', { emails: ['ann@eu.bigcorp.com'] }))).toBe(true);
    expect(matches(wildcard, login('user', { emails: ['ann@a.b.bigcorp.com'] }))).toBe(true);
    expect(matches(wildcard, login('user', { emails: ['ann@bigcorp.com'] }))).toBe(false);
    expect(matches(wildcard, login('user', { emails: ['ann@evilbigcorp.com'] }))).toBe(false);
  });
});

describe('interface, connector, realm', () => {
  const staffRules = parseRules(
    `
rules:
  - name: no-admin-cp
    audience: staff
    when: { interface: { in: [admin] } }
    deny: no admin
  - name: desk
    audience: staff
    when: { interface: { in: [staff, winapp], not: [winapp] } }
    set: { team: Desk }
  - name: others
    audience: staff
    when: { interface: { not: [admin, staff] } }
    set: { team: Others }
`,
    'rules.yaml',
  );

  it('in and not compare the staff interface case-insensitively', () => {
    expect(evaluateRules(staffRules, login('staff', {}, { staffInterface: 'admin' })).rule).toBe('no-admin-cp');
    expect(evaluateRules(staffRules, login('staff', {}, { staffInterface: 'Staff' })).rule).toBe('desk');
    expect(evaluateRules(staffRules, login('staff', {}, { staffInterface: 'winapp' })).rule).toBe('others');
  });

  it('a staff login without an interface satisfies neither in nor not', () => {
    const input: RuleInput = { ...login('staff'), staffInterface: undefined };
    expect(evaluateRules(staffRules, input)).toEqual({ kind: 'deny', rule: null, message: 'Your account is not allowed to sign in here' });
  });

  it('connector and realm compare ids exactly', () => {
    expect(matches('{ connector: [breakglass] }', login('user', { connectorId: 'breakglass' }))).toBe(true);
    expect(matches('{ connector: [breakglass] }', login('user', { connectorId: 'corp' }))).toBe(false);
    expect(matches('{ realm: [eu, us] }', login('user', {}, { realmId: 'us' }))).toBe(true);
    expect(matches('{ realm: [eu, us] }', login('user', {}, { realmId: 'main' }))).toBe(false);
  });

  it('every listed condition must hold', () => {
    const when = '{ groups: { any: [Enterprise] }, email_domain: [bigcorp.com], connector: [corp] }';
    expect(matches(when, login('user', { groups: ['Enterprise'], emails: ['a@bigcorp.com'] }))).toBe(true);
    expect(matches(when, login('user', { groups: ['Enterprise'], emails: ['a@other.com'] }))).toBe(false);
    expect(matches(when, login('user', { groups: ['Enterprise'], emails: ['a@bigcorp.com'], connectorId: 'x' }))).toBe(false);
  });
});

describe('rule order, audiences, defaults and unmatched logins', () => {
  const rules = parseRules(
    `
defaults:
  user: { usergroup: Registered, organizationtype: restricted }
  staff: { team: Staff, signature: "Regards, {{ givenName }}" }
rules:
  - name: contractors-denied
    when: { groups: { any: [Contractors] } }
    deny: Contractors use the partner portal
  - name: support-staff
    audience: staff
    when: { groups: { any: [Helpdesk-Agents] } }
    set: { team: Support, designation: "{{ claims.jobTitle }}" }
  - name: enterprise
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: BigCorp, organizationtype: shared }
  - name: enterprise-late
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Never }
`,
    'rules.yaml',
  );

  it('the first matching rule wins, even over a later rule that also matches', () => {
    expect(evaluateRules(rules, login('user', { groups: ['Enterprise', 'Contractors'] }))).toEqual({
      kind: 'deny',
      rule: 'contractors-denied',
      message: 'Contractors use the partner portal',
    });
    expect(evaluateRules(rules, login('user', { groups: ['Enterprise'] })).rule).toBe('enterprise');
  });

  it('a rule without audience applies to staff and users alike', () => {
    expect(evaluateRules(rules, login('staff', { groups: ['Contractors', 'Helpdesk-Agents'] })).rule).toBe('contractors-denied');
  });

  it('rules of the other audience are skipped', () => {
    expect(evaluateRules(rules, login('staff', { groups: ['Enterprise'] }))).toMatchObject({ kind: 'deny', rule: null });
    expect(evaluateRules(rules, login('user', { groups: ['Helpdesk-Agents'] }))).toMatchObject({ kind: 'allow', rule: null });
  });

  it('a matching rule sets its fields over the defaults, and only the fields of its audience', () => {
    expect(evaluateRules(rules, login('user', { groups: ['Enterprise'] }))).toEqual({
      kind: 'allow',
      rule: 'enterprise',
      profile: { usergroup: 'Enterprise', organization: 'BigCorp', organizationtype: 'shared' },
    });
    expect(evaluateRules(rules, login('staff', { groups: ['Helpdesk-Agents'], claims: { jobTitle: ' Engineer ' } }))).toEqual({
      kind: 'allow',
      rule: 'support-staff',
      profile: { team: 'Support', designation: 'Engineer', signature: 'Regards, John' },
    });
  });

  it('a set value that renders empty falls back to the default, and is left out without one', () => {
    expect(evaluateRules(rules, login('staff', { groups: ['Helpdesk-Agents'], givenName: undefined }))).toEqual({
      kind: 'allow',
      rule: 'support-staff',
      profile: { team: 'Support', signature: 'Regards,' },
    });
  });

  it('unmatched users get the defaults; unmatched staff are denied by default', () => {
    expect(evaluateRules(rules, login('user', { groups: [] }))).toEqual({
      kind: 'allow',
      rule: null,
      profile: { usergroup: 'Registered', organizationtype: 'restricted' },
    });
    expect(evaluateRules(rules, login('staff', { groups: [] }))).toEqual({
      kind: 'deny',
      rule: null,
      message: 'Your account is not allowed to sign in here',
    });
  });

  it('unmatched can deny users and admit staff with the defaults, with the configured message', () => {
    const flipped = parseRules(
      `
defaults: { staff: { team: Staff } }
unmatched: { user: deny, staff: default }
unmatchedMessage: Ask the helpdesk for access
`,
      'rules.yaml',
    );
    expect(evaluateRules(flipped, login('user'))).toEqual({ kind: 'deny', rule: null, message: 'Ask the helpdesk for access' });
    expect(evaluateRules(flipped, login('staff'))).toEqual({ kind: 'allow', rule: null, profile: { team: 'Staff' } });
  });

  it('without a default usergroup users get Kayako\'s stock group Registered', () => {
    const bare = parseRules('rules: []\n', 'rules.yaml');
    expect(evaluateRules(bare, login('user'))).toEqual({ kind: 'allow', rule: null, profile: { usergroup: 'Registered' } });
  });

  it('set: {} allows with the defaults, naming the rule', () => {
    const allowAll = parseRules(
      'defaults: { staff: { team: Staff } }\nrules:\n  - name: all-agents\n    audience: staff\n    when: { groups: { any: [Agents] } }\n    set: {}\n',
      'rules.yaml',
    );
    expect(evaluateRules(allowAll, login('staff', { groups: ['Agents'] }))).toEqual({ kind: 'allow', rule: 'all-agents', profile: { team: 'Staff' } });
  });

  it('a rule without when matches every login of its audience', () => {
    const catchAll = parseRules('rules:\n  - name: everyone\n    audience: user\n    set: { usergroup: Everyone }\n', 'rules.yaml');
    expect(evaluateRules(catchAll, login('user', { groups: [] })).rule).toBe('everyone');
  });
});
