import { describe, expect, it } from 'vitest';
import { evaluateRules, explainRules, formatRuleTrace, parseRules } from '../../src/rules/index.js';
import { login } from './support.js';

const rules = parseRules(
  `defaults: { staff: { team: Staff } }
rules:
  - name: contractors-denied
    when: { groups: { any: [Contractors] } }
    deny: Contractors use the partner portal
  - name: enterprise
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise }
  - name: senior-agents
    audience: staff
    when:
      groups: { all: [Agents, Seniors] }
      claims: { level: { in: [3, 4] } }
      interface: { not: [admin] }
    set: { team: Seniors }
  - name: agents
    audience: staff
    when: { groups: { any: [Agents] } }
    set: {}
`,
  'rules.yaml',
);

describe('explainRules', () => {
  it('says per rule whether it matched, and every condition that failed', () => {
    const input = login('staff', { groups: ['Agents'], claims: { level: 2 } }, { staffInterface: 'admin' });
    const trace = explainRules(rules, input);
    expect(trace.rules).toEqual([
      { rule: 'contractors-denied', line: 3, result: 'no-match', failures: [{ condition: 'when.groups.any', reason: "none of [contractors]; the login's groups are [Agents]" }] },
      { rule: 'enterprise', line: 6, result: 'other-audience' },
      {
        rule: 'senior-agents',
        line: 10,
        result: 'no-match',
        failures: [
          { condition: 'when.groups.all', reason: "missing [seniors]; the login's groups are [Agents]" },
          { condition: 'when.claims.level', reason: 'claims.level 2 is not in [3, 4]' },
          { condition: 'when.interface.not', reason: 'interface admin is excluded' },
        ],
      },
      { rule: 'agents', line: 17, result: 'matched' },
    ]);
    expect(trace.decision).toEqual({ kind: 'allow', rule: 'agents', profile: { team: 'Staff' } });
    expect(trace.version).toBe(rules.version);
  });

  it('agrees with evaluateRules and marks the rules after the deciding one as not reached', () => {
    const input = login('user', { groups: ['Contractors', 'Enterprise'] });
    const trace = explainRules(rules, input);
    expect(trace.decision).toEqual(evaluateRules(rules, input));
    expect(trace.rules.map((r) => r.result)).toEqual(['matched', 'not-reached', 'not-reached', 'not-reached']);
  });

  it('formats a trace for the terminal', () => {
    const text = formatRuleTrace(explainRules(rules, login('user', { groups: [] })));
    expect(text).toBe(
      [
        `rules.yaml (version ${rules.version}), user login:`,
        '  contractors-denied (line 3): no match',
        "      when.groups.any: none of [contractors]; the login's groups are []",
        '  enterprise (line 6): no match',
        "      when.groups.any: none of [enterprise]; the login's groups are []",
        '  senior-agents (line 10): skipped, not a user rule',
        '  agents (line 17): skipped, not a user rule',
        'decision: ALLOW (no rule matched, defaults applied): usergroup="Registered"',
        '',
      ].join('\n'),
    );
    expect(formatRuleTrace(explainRules(rules, login('staff', { groups: ['Contractors'] })))).toContain(
      'decision: DENY (rule contractors-denied): Contractors use the partner portal',
    );
  });

  it('shortens long group lists', () => {
    const groups = Array.from({ length: 25 }, (_, i) => `g${i}`);
    const trace = explainRules(rules, login('user', { groups }));
    const first = trace.rules[0];
    expect(first?.result === 'no-match' && first.failures[0]?.reason).toBe(
      "none of [contractors]; the login's groups are [g0, g1, g2, g3, g4, g5, g6, g7, g8, g9 … and 15 more]",
    );
  });
});

describe('explain reasons for claim tests', () => {
  const claimRules = parseRules(
    `rules:
  - name: c
    audience: user
    when:
      claims:
        title: { regex: "Senior .*" }
        dept: { equals: Support }
        vip: { exists: false }
    set: {}
`,
    'rules.yaml',
  );

  it('shows the value that failed, and when a value was too long for a regex', () => {
    const failures = (claims: Record<string, unknown>) => {
      const entry = explainRules(claimRules, login('user', { claims })).rules[0];
      return entry?.result === 'no-match' ? entry.failures.map((f) => `${f.condition}: ${f.reason}`) : [];
    };
    expect(failures({ title: 'Junior', vip: 'yes' })).toEqual([
      'when.claims.title: claims.title "Junior" does not match ^(?:Senior .*)$',
      'when.claims.dept: claims.dept is missing',
      'when.claims.vip: claims.vip is present ("yes")',
    ]);
    expect(failures({ title: `Senior ${'x'.repeat(1100)}`, dept: ['Sales', 'Ops'] })[0]).toMatch(
      /does not match \^\(\?:Senior \.\*\)\$ \(values over 1024 characters never match\)$/,
    );
    expect(failures({ title: 'Senior Agent', dept: ['Sales', 'Ops'] })).toEqual(['when.claims.dept: claims.dept ["Sales","Ops"] is not "Support"']);
  });
});
