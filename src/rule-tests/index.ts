export { ruleTestsJsonSchema } from './json-schema.js';
export { loadRuleTestFile, parseRuleTests, type Expectation, type RuleTestCase, type RuleTestFile } from './load.js';
export { formatJUnitReport, formatTextReport, totals, type FileResult, type Totals } from './report.js';
export { runRuleTestCase, type CaseResult, type Mismatch } from './run.js';
export { runRuleTestFiles } from './run-files.js';
