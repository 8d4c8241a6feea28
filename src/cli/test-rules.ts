import { unwatchFile, watchFile } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatJUnitReport, formatTextReport, runRuleTestFiles, totals, type FileResult } from '../rule-tests/index.js';
import type { CliCommand, CliIO } from './cli-io.js';

const HELP = `Usage: loginshare-bridge test [--rules FILE] [--junit FILE] [--explain] [--quiet] [--watch] CASES.yaml ...

Runs rule tests: each case is an identity and the decision the rules must reach
for it (a profile, or a denial and its message). Each test file names its rules
file ("rules:", relative to the test file); --rules tests every file against
FILE instead. Reference: docs/rule-tests.md.

  --junit FILE  also write a JUnit XML report (for CI merge gates)
  --explain     for a failed case, show rule by rule why each did or did not match
  --quiet       list only failed cases
  --watch       run again whenever a test file or rules file changes (Ctrl-C stops)

Exit code: 0 all cases pass, 1 a case failed or a file has errors, 2 usage error.
`;

export interface RuleTestOptions {
  files: string[];
  rules?: string;
  junit?: string;
  explain?: boolean;
  quiet?: boolean;
}

export const runTestRules: CliCommand = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rules: { type: 'string' },
      junit: { type: 'string' },
      explain: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      watch: { type: 'boolean', short: 'w' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length === 0) {
    io.stderr.write(`test: name at least one test file\n\n${HELP}`);
    return 2;
  }
  const options: RuleTestOptions = {
    files: positionals,
    ...(values.rules !== undefined ? { rules: values.rules } : {}),
    ...(values.junit !== undefined ? { junit: values.junit } : {}),
    ...(values.explain ? { explain: true } : {}),
    ...(values.quiet ? { quiet: true } : {}),
  };
  if (!values.watch) return (await runOnce(options, io)).code;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await watchRuleTests(options, io, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
};

/** One run: the report on stdout (errors of broken files included), the JUnit file if asked for. */
export async function runOnce(options: RuleTestOptions, io: CliIO): Promise<{ code: number; results: FileResult[] }> {
  const results = await runRuleTestFiles(options.files, options.rules);
  io.stdout.write(formatTextReport(results, { ...(options.explain ? { explain: true } : {}), ...(options.quiet ? { quiet: true } : {}) }));
  if (options.junit) await writeFile(options.junit, formatJUnitReport(results));
  const t = totals(results);
  return { code: t.failed > 0 || t.brokenFiles > 0 ? 1 : 0, results };
}

/** Watched by polling the files' status: that also sees an editor's save-by-rename and a ConfigMap swap. */
const WATCH_INTERVAL_MS = 300;

/**
 * Runs the tests, then again after each change to a test file or to a rules file one of them uses, until
 * `signal` aborts. The set of rules files is taken again after every run, since an edit may name another.
 */
export async function watchRuleTests(options: RuleTestOptions, io: CliIO, signal: AbortSignal): Promise<void> {
  const watched = new Set<string>();
  let running: Promise<void> | undefined;
  let again = false;

  const run = async () => {
    const { results } = await runOnce(options, io);
    io.stdout.write('watching for changes (Ctrl-C stops)\n');
    const wanted = new Set([...options.files, ...(options.rules ? [options.rules] : []), ...results.flatMap((r) => ('rulesFile' in r ? [r.rulesFile] : []))]);
    for (const file of wanted) if (!watched.has(file)) watch(file);
  };
  const trigger = () => {
    if (signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        io.stdout.write('\n');
        await run();
      } while (again && !signal.aborted);
      running = undefined;
    })();
  };
  const onChange = (current: { mtimeMs: number; size: number; ino: number }, previous: { mtimeMs: number; size: number; ino: number }) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino) trigger();
  };
  const watch = (file: string) => {
    watched.add(file);
    watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: true }, onChange);
  };

  await run();
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  for (const file of watched) unwatchFile(file, onChange);
  await running;
}
