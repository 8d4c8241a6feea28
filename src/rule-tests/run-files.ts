import { ConfigFileError } from '../config/file-errors.js';
import { loadRulesFile } from '../rules/index.js';
import type { RuleSet } from '../rules/index.js';
import { loadRuleTestFile } from './load.js';
import type { FileResult } from './report.js';
import { runRuleTestCase } from './run.js';

/**
 * Runs each test file against its rules file (`rules:` in the file, or `rulesOverride` for all of them). A file
 * that cannot be read or validated — or whose rules file cannot — is a result with an error, not an exception,
 * so one broken file does not hide the results of the others.
 */
export async function runRuleTestFiles(paths: readonly string[], rulesOverride?: string): Promise<FileResult[]> {
  const rulesCache = new Map<string, Promise<RuleSet>>();
  const results: FileResult[] = [];
  for (const file of paths) {
    const started = performance.now();
    try {
      const tests = await loadRuleTestFile(file);
      const rulesPath = rulesOverride ?? tests.rulesPath;
      if (!rulesPath) {
        throw new ConfigFileError([{ file, line: 0, column: 0, field: 'rules', message: 'no rules file: add "rules: <path>" to the file or pass --rules FILE' }]);
      }
      let rules = rulesCache.get(rulesPath);
      if (!rules) rulesCache.set(rulesPath, (rules = loadRulesFile(rulesPath)));
      const ruleSet = await rules;
      results.push({
        file,
        rulesFile: ruleSet.file,
        rulesVersion: ruleSet.version,
        results: tests.cases.map((c) => runRuleTestCase(ruleSet, c)),
        seconds: (performance.now() - started) / 1000,
      });
    } catch (err) {
      results.push({ file, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}
