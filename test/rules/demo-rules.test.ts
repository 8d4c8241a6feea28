import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateRules, loadRulesFile } from '../../src/rules/index.js';
import { login } from './support.js';

const demoRules = fileURLToPath(new URL('../../examples/demo/rules.yaml', import.meta.url));

describe('examples/demo/rules.yaml', () => {
  it('gives customers the Registered defaults and Enterprise users their group', async () => {
    const rules = await loadRulesFile(demoRules);
    expect(evaluateRules(rules, login('user', { groups: ['Customers'] }))).toEqual({
      kind: 'allow',
      rule: null,
      profile: { usergroup: 'Registered', organizationtype: 'restricted' },
    });
    expect(evaluateRules(rules, login('user', { groups: ['Customers', 'Enterprise'] }))).toEqual({
      kind: 'allow',
      rule: 'enterprise-customers',
      profile: { usergroup: 'Enterprise', organization: 'Enterprise customers', organizationtype: 'shared' },
    });
  });

  it('denies contractors everywhere', async () => {
    const rules = await loadRulesFile(demoRules);
    const contractor = { groups: ['Contractors', 'Helpdesk-Agents'] };
    expect(evaluateRules(rules, login('user', contractor))).toMatchObject({ kind: 'deny', rule: 'contractors-denied' });
    expect(evaluateRules(rules, login('staff', contractor))).toMatchObject({ kind: 'deny', rule: 'contractors-denied' });
  });

  it('lets helpdesk agents into the staff desk as Support, but not into the Admin CP', async () => {
    const rules = await loadRulesFile(demoRules);
    const agent = { groups: ['Helpdesk-Agents'], claims: { jobTitle: 'Agent' } };
    expect(evaluateRules(rules, login('staff', agent, { staffInterface: 'staff' }))).toEqual({
      kind: 'allow',
      rule: 'support-staff',
      profile: { team: 'Support', designation: 'Agent' },
    });
    expect(evaluateRules(rules, login('staff', agent, { staffInterface: 'admin' }))).toEqual({
      kind: 'deny',
      rule: 'admin-cp-denied',
      message: 'Only helpdesk administrators may use the Admin CP',
    });
  });

  it('lets helpdesk admins into the Admin CP and the staff desk as Administrators', async () => {
    const rules = await loadRulesFile(demoRules);
    const admin = { groups: ['Helpdesk-Admins'] };
    for (const staffInterface of ['admin', 'staff', 'winapp']) {
      expect(evaluateRules(rules, login('staff', admin, { staffInterface }))).toMatchObject({ kind: 'allow', profile: { team: 'Administrators' } });
    }
  });

  it('refuses staff logins of customers', async () => {
    const rules = await loadRulesFile(demoRules);
    expect(evaluateRules(rules, login('staff', { groups: ['Customers'] }))).toEqual({
      kind: 'deny',
      rule: null,
      message: 'Your account is not allowed to sign in here',
    });
  });
});
