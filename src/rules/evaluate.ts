import type { Audience } from '../login/vocabulary.js';
import { matchSubject, type MatchSubject } from './conditions.js';
import {
  PROFILE_FIELDS,
  type CompiledRule,
  type ProfileFields,
  type ProfileTemplates,
  type RuleDecision,
  type RuleSet,
} from './rule-set.js';
import type { RuleInput } from './rule-input.js';
import { renderTemplate } from './template.js';

/** First matching rule of the login's audience wins; no match → `unmatched` for that audience. */
export function evaluateRules(rules: RuleSet, input: RuleInput): RuleDecision {
  return decide(rules, input);
}

export interface ConditionFailure {
  /** e.g. `when.groups.any`, `when.claims.department`. */
  condition: string;
  reason: string;
}

/** Called per rule considered, in order; lets explain.ts record why without a second matching engine. */
export type RuleVisitor = (rule: CompiledRule, result: { kind: 'other-audience' } | { kind: 'checked'; failures: ConditionFailure[] }) => void;

/**
 * The one matching loop. Without a visitor it stops at a rule's first failing condition and builds no text;
 * with one it checks every condition, so `explain` can list all reasons.
 */
export function decide(rules: RuleSet, input: RuleInput, visit?: RuleVisitor): RuleDecision {
  const subject = matchSubject(input);
  for (const rule of rules.rules) {
    if (!rule.audiences.includes(input.audience)) {
      visit?.(rule, { kind: 'other-audience' });
      continue;
    }
    if (visit) {
      const failures = failedConditions(rule, subject);
      visit(rule, { kind: 'checked', failures });
      if (failures.length > 0) continue;
    } else if (!allHold(rule, subject)) {
      // A login asks only whether each condition holds: no reason text is built.
      continue;
    }
    if (rule.outcome.kind === 'deny') return { kind: 'deny', rule: rule.name, message: rule.outcome.message };
    return { kind: 'allow', rule: rule.name, profile: renderProfile(rules, input, rule.outcome.profile) };
  }
  if (rules.unmatched[input.audience] === 'deny') return { kind: 'deny', rule: null, message: rules.unmatchedMessage };
  return { kind: 'allow', rule: null, profile: renderProfile(rules, input, {}) };
}

function allHold(rule: CompiledRule, subject: MatchSubject): boolean {
  for (const condition of rule.conditions) if (!condition.holds(subject)) return false;
  return true;
}

function failedConditions(rule: CompiledRule, subject: MatchSubject): ConditionFailure[] {
  const failures: ConditionFailure[] = [];
  for (const condition of rule.conditions) {
    if (!condition.holds(subject)) failures.push({ condition: `when.${condition.field}`, reason: condition.whyNot(subject) });
  }
  return failures;
}

/**
 * The rule's value for each field of the audience's answer, else the default. A value that renders empty
 * (a missing claim) falls back to the default too; a field empty in both is left out.
 */
function renderProfile(rules: RuleSet, input: RuleInput, set: ProfileTemplates): ProfileFields {
  const audience: Audience = input.audience;
  const profile: ProfileFields = {};
  for (const field of PROFILE_FIELDS[audience]) {
    const value = render(set, field, input) || render(rules.defaults[audience], field, input);
    if (!value) continue;
    if (field === 'organizationtype') profile.organizationtype = value === 'shared' ? 'shared' : 'restricted';
    else profile[field] = value;
  }
  return profile;
}

function render(templates: ProfileTemplates, field: keyof ProfileTemplates, input: RuleInput): string {
  const template = templates[field];
  return template ? renderTemplate(template, input).trim() : '';
}
