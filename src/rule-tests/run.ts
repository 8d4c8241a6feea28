import { explainRules, type RuleDecision, type RuleSet, type RuleTrace } from '../rules/index.js';
import type { ProfileField } from '../rules/rule-set.js';
import type { Expectation, RuleTestCase } from './load.js';

/** One difference between what a case expects and what the rules decided. */
export interface Mismatch {
  /** `decision`, `message`, `rule` or a profile field. */
  what: string;
  expected: string;
  actual: string;
}

export interface CaseResult {
  case: RuleTestCase;
  decision: RuleDecision;
  /** Rule by rule, for the report of a failed case. */
  trace: RuleTrace;
  mismatches: Mismatch[];
}

export function runRuleTestCase(rules: RuleSet, testCase: RuleTestCase): CaseResult {
  const trace = explainRules(rules, {
    audience: testCase.audience,
    identity: testCase.identity,
    realmId: testCase.realmId,
    ...(testCase.staffInterface !== undefined ? { staffInterface: testCase.staffInterface } : {}),
  });
  return { case: testCase, decision: trace.decision, trace, mismatches: compare(testCase.expect, trace.decision) };
}

function compare(expected: Expectation, actual: RuleDecision): Mismatch[] {
  const mismatches: Mismatch[] = [];
  if (expected.kind !== actual.kind) {
    mismatches.push({ what: 'decision', expected: describeExpected(expected), actual: describeDecision(actual) });
    return mismatches;
  }
  if (expected.rule !== undefined && expected.rule !== actual.rule) {
    mismatches.push({ what: 'rule', expected: ruleName(expected.rule), actual: ruleName(actual.rule) });
  }
  if (expected.kind === 'deny' && actual.kind === 'deny') {
    if (expected.message !== undefined && expected.message !== actual.message) {
      mismatches.push({ what: 'message', expected: JSON.stringify(expected.message), actual: JSON.stringify(actual.message) });
    }
  } else if (expected.kind === 'allow' && actual.kind === 'allow') {
    for (const [field, value] of Object.entries(expected.fields) as Array<[ProfileField, string | null]>) {
      const got = actual.profile[field];
      if ((got ?? null) !== value) mismatches.push({ what: field, expected: fieldValue(value), actual: fieldValue(got ?? null) });
    }
  }
  return mismatches;
}

function describeExpected(expected: Expectation): string {
  if (expected.kind === 'allow') return 'ALLOW';
  return expected.message === undefined ? 'DENY' : `DENY ${JSON.stringify(expected.message)}`;
}

export function describeDecision(decision: RuleDecision): string {
  const by = decision.rule === null ? 'no rule matched' : `rule ${decision.rule}`;
  return decision.kind === 'deny' ? `DENY ${JSON.stringify(decision.message)} (${by})` : `ALLOW (${by})`;
}

function ruleName(rule: string | null): string {
  return rule === null ? '(no rule: unmatched)' : rule;
}

function fieldValue(value: string | null): string {
  return value === null ? '(not sent)' : JSON.stringify(value);
}
