import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, formatIssue } from '../../src/config/file-errors.js';
import { checkRuleReferences, loadRulesFile, parseRules } from '../../src/rules/index.js';

/** The error lines an operator would read, `file:line:column field: message`. */
function errorsOf(text: string): string[] {
  try {
    parseRules(text, 'rules.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as ConfigFileError).message.split('\n');
  }
  throw new Error('expected the rules file to be rejected');
}

describe('schema errors name file, line, column and field', () => {
  it('a wrong type', () => {
    expect(
      errorsOf(`rules:
  - name: a
    when:
      groups:
        any: Contractors
    deny: no
`),
    ).toEqual(['rules.yaml:5:14 rules[0].when.groups.any: must be a list (- item lines, or [a, b]), not "Contractors"']);
  });

  it('a misspelt key is an error at its own line, listing the keys allowed there', () => {
    expect(
      errorsOf(`rules:
  - name: a
    when:
      groups: { any: [A] }
      email_domains: [x.com]
    set: {}
`),
    ).toEqual([
      'rules.yaml:5:22 rules[0].when.email_domains: unknown key (expected one of: groups, claims, email_domain, interface, connector, realm)',
    ]);
    expect(errorsOf('default:\n  user: { usergroup: X }\n')).toEqual([
      'rules.yaml:1:1 default: unknown key (expected one of: defaults, unmatched, unmatchedMessage, rules)',
    ]);
  });

  it('a profile field that the audience of defaults does not have', () => {
    expect(errorsOf('defaults:\n  user: { team: Support }\n')).toEqual([
      'rules.yaml:2:17 defaults.user.team: unknown key (expected one of: usergroup, organization, organizationtype, designation)',
    ]);
  });

  it('missing name, bad enum, empty list', () => {
    expect(
      errorsOf(`rules:
  - audience: users
    when: { connector: [] }
    set: { organizationtype: public }
`),
    ).toEqual([
      'rules.yaml:2:5 rules[0].name: every rule needs a name',
      'rules.yaml:2:15 rules[0].audience: cannot be "users": use one of user, staff — did you mean "user"?',
      'rules.yaml:3:24 rules[0].when.connector: list at least one connector id',
      'rules.yaml:4:30 rules[0].set.organizationtype: cannot be "public": use one of shared, restricted',
    ]);
  });

  it('YAML syntax errors and duplicate keys', () => {
    expect(errorsOf('rules: [\n')).toEqual(['rules.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]']);
    expect(errorsOf('rules: []\nrules: []\n')).toEqual(['rules.yaml:2:1: Map keys must be unique']);
  });

  it('an empty file', () => {
    expect(errorsOf('# nothing yet\n')).toEqual(['rules.yaml: the rules file is empty (write at least "rules: []")']);
  });
});

describe('semantic errors', () => {
  it('duplicate rule names point at the second and name the first', () => {
    expect(
      errorsOf(`rules:
  - name: dup
    when: { groups: { any: [A] } }
    deny: a
  - name: other
    when: { groups: { any: [B] } }
    deny: b
  - name: dup
    when: { groups: { any: [C] } }
    deny: c
`),
    ).toEqual(['rules.yaml:8:11 rules[2].name: duplicate rule name "dup" (also rules[0] at line 2)']);
  });

  it('a rule with both set and deny, or with neither', () => {
    expect(errorsOf('rules:\n  - name: both\n    set: {}\n    deny: no\n  - name: neither\n    audience: user\n')).toEqual([
      'rules.yaml:2:5 rules[0]: a rule either sets a profile (set) or denies (deny), not both',
      'rules.yaml:5:5 rules[1]: a rule needs set (allow; set: {} keeps the defaults) or deny: "message"',
    ]);
  });

  it('fields that the rule\'s audience never sends', () => {
    expect(
      errorsOf(`defaults: { staff: { team: Staff } }
rules:
  - name: users-with-team
    audience: user
    set: { usergroup: X, team: Support }
  - name: staff-with-usergroup
    audience: staff
    set: { usergroup: X, organization: Y }
`),
    ).toEqual([
      'rules.yaml:5:32 rules[0].set.team: team is not part of a user answer (a user profile sets usergroup, organization, organizationtype, designation)',
      'rules.yaml:8:23 rules[1].set.usergroup: usergroup is not part of a staff answer (a staff profile sets team, designation, signature)',
      'rules.yaml:8:40 rules[1].set.organization: organization is not part of a staff answer (a staff profile sets team, designation, signature)',
    ]);
  });

  it('a rule without audience that sets only one audience\'s fields', () => {
    expect(
      errorsOf(`defaults: { staff: { team: Staff } }
rules:
  - name: forgot-audience
    when: { groups: { any: [A] } }
    set: { team: Support }
  - name: also-forgot
    when: { groups: { any: [B] } }
    set: { usergroup: Gold }
  - name: fine
    set: { designation: Member }
`),
    ).toEqual([
      'rules.yaml:5:10 rules[0].set: sets staff fields only: add audience: staff',
      'rules.yaml:8:10 rules[1].set: sets user fields only: add audience: user',
    ]);
  });

  it('interface in a rule that is not for staff', () => {
    expect(errorsOf('rules:\n  - name: x\n    when: { interface: { in: [admin] } }\n    deny: no\n')).toEqual([
      'rules.yaml:3:24 rules[0].when.interface: interface applies to staff logins only: add audience: staff',
    ]);
  });

  it('staff could be signed in without a team', () => {
    expect(
      errorsOf(`unmatched: { staff: default }
rules:
  - name: agents
    audience: staff
    when: { groups: { any: [Agents] } }
    set: { designation: Agent }
`),
    ).toEqual([
      'rules.yaml:1:21 unmatched.staff: unmatched staff would be signed in without a team: set defaults.staff.team',
      'rules.yaml:6:10 rules[0].set: a staff login allowed by this rule would have no team: set team here or in defaults.staff.team',
    ]);
  });

  it('invalid and catastrophic regexes, over-long patterns', () => {
    expect(
      errorsOf(`rules:
  - name: r
    audience: user
    when:
      claims:
        a: { regex: "([a-z]+" }
        b: { regex: "(a+)+b" }
        c: { regex: "${'x'.repeat(257)}" }
    set: {}
`),
    ).toEqual([
      'rules.yaml:6:21 rules[0].when.claims.a.regex: invalid regex: Invalid regular expression: /([a-z]+/: Unterminated group',
      'rules.yaml:7:21 rules[0].when.claims.b.regex: regex repeats a group that itself repeats (like (a+)+), which can take exponential time; rewrite it without the nesting',
      'rules.yaml:8:21 rules[0].when.claims.c.regex: regex is longer than 256 characters',
    ]);
  });

  it('claim tests need exactly one operator; ignoreCase does not go with exists', () => {
    expect(
      errorsOf(`rules:
  - name: c
    audience: user
    when:
      claims:
        a: { ignoreCase: true }
        b: { equals: x, regex: y }
        c: { exists: true, ignoreCase: true }
    set: {}
`),
    ).toEqual([
      'rules.yaml:6:12 rules[0].when.claims.a: give one of equals, in, regex, exists',
      'rules.yaml:7:12 rules[0].when.claims.b: give only one of equals, in, regex, exists (found equals, regex)',
      'rules.yaml:8:40 rules[0].when.claims.c.ignoreCase: ignoreCase applies to equals, in and regex, not to exists',
    ]);
  });

  it('unknown template variables and broken templates', () => {
    expect(
      errorsOf(`rules:
  - name: t
    audience: user
    set:
      designation: "{{ claim.jobTitle }}"
      organization: "{{ email"
`),
    ).toEqual([
      'rules.yaml:5:20 rules[0].set.designation: unknown template variable "claim.jobTitle"; expected one of username, email, givenName, familyName, displayName, phone, subject, connector, realm, interface, groups.<n>, emails.<n>, claims.<name>',
      'rules.yaml:6:21 rules[0].set.organization: unclosed "{{" in template "{{ email"',
    ]);
  });

  it('bad email domains and group conditions', () => {
    expect(
      errorsOf(`rules:
  - name: d
    audience: user
    when:
      email_domain: ["@bigcorp.com", "big*.com"]
      groups: { match: last-segment, any: [/corp/support] }
    set: {}
  - name: g
    audience: user
    when: { groups: { match: exact } }
    set: {}
`),
    ).toEqual([
      'rules.yaml:5:22 rules[0].when.email_domain[0]: write the domain without "@" (example.com)',
      'rules.yaml:5:38 rules[0].when.email_domain[1]: expected a domain such as example.com, or *.example.com for its subdomains',
      'rules.yaml:6:44 rules[0].when.groups.any[0]: with match: last-segment, name one path segment without "/"',
      'rules.yaml:10:21 rules[1].when.groups: give at least one of any, all, none',
    ]);
  });

  it('a rule after a catch-all of the same audience can never match', () => {
    expect(
      errorsOf(`rules:
  - name: all-users
    audience: user
    set: {}
  - name: still-reachable-for-staff
    when: { groups: { any: [X] } }
    deny: no
  - name: dead
    audience: user
    when: { groups: { any: [X] } }
    deny: no
  - name: all-staff
    audience: staff
    deny: no
  - name: dead-too
    when: { groups: { any: [Y] } }
    deny: no
`),
    ).toEqual([
      'rules.yaml:8:5 rules[2]: rule "dead" can never match: rule "all-users" above it has no conditions and matches first',
      'rules.yaml:15:5 rules[4]: rule "dead-too" can never match: rule "all-users" above it has no conditions and matches first',
    ]);
  });

  it('reports every problem of the file at once', () => {
    expect(errorsOf('rules:\n  - name: a\n    audience: user\n    set: { team: T }\n  - name: a\n    set: {}\n    deny: z\n')).toEqual([
      'rules.yaml:4:18 rules[0].set.team: team is not part of a user answer (a user profile sets usergroup, organization, organizationtype, designation)',
      'rules.yaml:5:5 rules[1]: a rule either sets a profile (set) or denies (deny), not both',
      'rules.yaml:5:11 rules[1].name: duplicate rule name "a" (also rules[0] at line 2)',
    ]);
  });
});

describe('loadRulesFile', () => {
  it('names a missing file', async () => {
    await expect(loadRulesFile('/nonexistent/rules.yaml')).rejects.toThrow('/nonexistent/rules.yaml: file not found');
  });

  it('reads, names the path in errors and versions by content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      await writeFile(file, 'rules: []\n');
      const first = await loadRulesFile(file);
      expect(first.file).toBe(file);
      expect(first.version).toMatch(/^[0-9a-f]{12}$/);
      expect((await loadRulesFile(file)).version).toBe(first.version);
      await writeFile(file, '# changed\nrules: []\n');
      expect((await loadRulesFile(file)).version).not.toBe(first.version);
      await writeFile(file, 'rules: 3\n');
      await expect(loadRulesFile(file)).rejects.toThrow(`${file}:1:8 rules: must be a list (- item lines, or [a, b]), not 3`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('checkRuleReferences', () => {
  it('names connector and realm ids the config file does not define, where they are written', () => {
    const rules = parseRules(
      `rules:
  - name: a
    when: { connector: [corp, crop], realm: [main] }
    deny: no
  - name: b
    when: { realm: [mian] }
    deny: no
`,
      'rules.yaml',
    );
    expect(checkRuleReferences(rules, { connectors: ['breakglass', 'corp'], realms: ['main'] }).map(formatIssue)).toEqual([
      'rules.yaml:3:31 rules[0].when.connector[1]: unknown connector "crop" (the config file defines: breakglass, corp)',
      'rules.yaml:6:21 rules[1].when.realm[0]: unknown realm "mian" (the config file defines: main)',
    ]);
    expect(checkRuleReferences(rules, { connectors: ['corp', 'crop'], realms: ['main', 'mian'] })).toEqual([]);
  });
});
