export { evaluateRules, type ConditionFailure } from './evaluate.js';
export { explainRules, formatRuleTrace, type RuleTrace, type RuleTraceEntry } from './explain.js';
export { rulesJsonSchema } from './json-schema.js';
export { loadRulesFile, parseRules } from './load.js';
export { checkRuleReferences } from './references.js';
export type { RuleInput } from './rule-input.js';
export type { ProfileFields, RuleDecision, RuleSet } from './rule-set.js';
export { watchRulesFile, type RulesWatcher, type RulesWatchHooks } from './watch.js';
