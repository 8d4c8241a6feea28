import type { Audience } from '../login/vocabulary.js';
import { decide, type ConditionFailure } from './evaluate.js';
import type { RuleInput } from './rule-input.js';
import type { RuleDecision, RuleSet } from './rule-set.js';

export type RuleTraceEntry = { rule: string; line: number } & (
  | { result: 'matched' }
  | { result: 'no-match'; failures: ConditionFailure[] }
  /** The rule names the other audience. */
  | { result: 'other-audience' }
  /** An earlier rule already decided. */
  | { result: 'not-reached' }
);

/** Why a login gets its decision, rule by rule: what `loginshare-bridge explain` prints. */
export interface RuleTrace {
  file: string;
  version: string;
  audience: Audience;
  rules: RuleTraceEntry[];
  decision: RuleDecision;
}

export function explainRules(rules: RuleSet, input: RuleInput): RuleTrace {
  const entries: RuleTraceEntry[] = [];
  const decision = decide(rules, input, (rule, result) => {
    const at = { rule: rule.name, line: rule.line };
    if (result.kind === 'other-audience') entries.push({ ...at, result: 'other-audience' });
    else if (result.failures.length > 0) entries.push({ ...at, result: 'no-match', failures: result.failures });
    else entries.push({ ...at, result: 'matched' });
  });
  for (const rule of rules.rules.slice(entries.length)) {
    entries.push({ rule: rule.name, line: rule.line, result: 'not-reached' });
  }
  return { file: rules.file, version: rules.version, audience: input.audience, rules: entries, decision };
}

/** Plain text for a terminal, one line per rule and per failed condition. */
export function formatRuleTrace(trace: RuleTrace): string {
  const lines = [`${trace.file} (version ${trace.version}), ${trace.audience} login:`];
  for (const entry of trace.rules) {
    const head = `  ${entry.rule} (line ${entry.line}):`;
    switch (entry.result) {
      case 'matched':
        lines.push(`${head} MATCHED`);
        break;
      case 'no-match':
        lines.push(`${head} no match`);
        for (const failure of entry.failures) lines.push(`      ${failure.condition}: ${failure.reason}`);
        break;
      case 'other-audience':
        lines.push(`${head} skipped, not a ${trace.audience} rule`);
        break;
      case 'not-reached':
        lines.push(`${head} not reached`);
        break;
    }
  }
  lines.push(formatDecision(trace.decision));
  return `${lines.join('\n')}\n`;
}

function formatDecision(decision: RuleDecision): string {
  const by = decision.rule === null ? 'no rule matched' : `rule ${decision.rule}`;
  if (decision.kind === 'deny') return `decision: DENY (${by}): ${decision.message}`;
  const fields = Object.entries(decision.profile).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `decision: ALLOW (${by}${decision.rule === null ? ', defaults applied' : ''}): ${fields.join(' ') || '(no profile fields)'}`;
}
