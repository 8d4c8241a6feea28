import type { FileIssue } from '../config/file-errors.js';
import type { RuleSet } from './rule-set.js';

/**
 * A misspelt connector or realm id in a condition would never match and never complain. The rules file cannot
 * know which ids exist; the config file can, so whoever holds both calls this (at start-up and on reload).
 */
export function checkRuleReferences(rules: RuleSet, known: { connectors: readonly string[]; realms: readonly string[] }): FileIssue[] {
  return rules.references
    .filter((ref) => !(ref.kind === 'connector' ? known.connectors : known.realms).includes(ref.id))
    .map((ref) => {
      const defined = ref.kind === 'connector' ? known.connectors : known.realms;
      return { ...ref.at, message: `unknown ${ref.kind} "${ref.id}" (the config file defines: ${defined.join(', ') || 'none'})` };
    });
}
