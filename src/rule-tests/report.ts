import { create } from 'xmlbuilder2';
import { formatRuleTrace } from '../rules/index.js';
import { describeDecision, type CaseResult } from './run.js';

/** The outcome of one test file: its results, or why it could not be run (a bad case file or rules file). */
export type FileResult =
  | { file: string; rulesFile: string; rulesVersion: string; results: CaseResult[]; seconds: number }
  | { file: string; error: string };

export interface Totals {
  cases: number;
  failed: number;
  brokenFiles: number;
}

export function totals(files: readonly FileResult[]): Totals {
  let cases = 0;
  let failed = 0;
  let brokenFiles = 0;
  for (const f of files) {
    if ('error' in f) brokenFiles += 1;
    else {
      cases += f.results.length;
      failed += f.results.filter((r) => r.mismatches.length > 0).length;
    }
  }
  return { cases, failed, brokenFiles };
}

/**
 * What the person at the terminal reads: one line per case, and for a failed case each difference as
 * expected / got, the rule that decided and (with `explain`) why each rule did or did not match.
 */
export function formatTextReport(files: readonly FileResult[], options: { explain?: boolean; quiet?: boolean } = {}): string {
  const out: string[] = [];
  for (const f of files) {
    if ('error' in f) {
      out.push(`ERROR ${f.file}`, ...f.error.split('\n').map((l) => `  ${l}`));
      continue;
    }
    out.push(`${f.file} (rules ${f.rulesFile}, version ${f.rulesVersion})`);
    for (const r of f.results) {
      const where = `${f.file}:${r.case.line}`;
      if (r.mismatches.length === 0) {
        if (!options.quiet) out.push(`  ok   ${r.case.name}`);
        continue;
      }
      out.push(`  FAIL ${r.case.name}  (${where}, ${r.case.audience} login)`);
      for (const m of r.mismatches) {
        out.push(`       ${m.what}:`, `         - expected ${m.expected}`, `         + got      ${m.actual}`);
      }
      out.push(`       decided: ${describeDecision(r.decision)}${decidingLine(r)}`);
      if (options.explain) out.push(...formatRuleTrace(r.trace).trimEnd().split('\n').map((l) => `       ${l}`));
    }
  }
  const t = totals(files);
  const broken = t.brokenFiles > 0 ? `, ${t.brokenFiles} file${t.brokenFiles === 1 ? '' : 's'} with errors` : '';
  out.push('', `${t.cases - t.failed} passed, ${t.failed} failed${broken}`);
  return `${out.join('\n')}\n`;
}

function decidingLine(r: CaseResult): string {
  const entry = r.trace.rules.find((e) => e.result === 'matched');
  return entry ? ` at line ${entry.line} of ${r.trace.file}` : '';
}

/**
 * JUnit XML as CI systems read it (GitLab, GitHub test reporters, Jenkins): one testsuite per file, one
 * testcase per case, `<failure>` with the differences, `<error>` for a file that could not be run.
 */
export function formatJUnitReport(files: readonly FileResult[]): string {
  const t = totals(files);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: 'loginshare-bridge rule tests',
    tests: String(t.cases + t.brokenFiles),
    failures: String(t.failed),
    errors: String(t.brokenFiles),
  });
  for (const f of files) {
    if ('error' in f) {
      const suite = root.ele('testsuite', { name: f.file, tests: '1', failures: '0', errors: '1' });
      suite.ele('testcase', { name: 'load', classname: f.file }).ele('error', { message: firstLine(f.error) }).txt(f.error);
      continue;
    }
    const failed = f.results.filter((r) => r.mismatches.length > 0).length;
    const suite = root.ele('testsuite', {
      name: f.file,
      tests: String(f.results.length),
      failures: String(failed),
      errors: '0',
      time: f.seconds.toFixed(3),
    });
    for (const r of f.results) {
      const testcase = suite.ele('testcase', { name: r.case.name, classname: f.file, file: f.file, line: String(r.case.line) });
      if (r.mismatches.length === 0) continue;
      const differences = r.mismatches.map((m) => `${m.what}: expected ${m.expected}, got ${m.actual}`);
      const body = [...differences, `decided: ${describeDecision(r.decision)}`, '', formatRuleTrace(r.trace)];
      testcase.ele('failure', { message: differences.join('; '), type: 'RuleTestMismatch' }).txt(body.join('\n'));
    }
  }
  return `${root.end({ prettyPrint: true })}\n`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
