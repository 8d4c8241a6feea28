import { parseArgs } from 'node:util';
import { ConfigFileError } from '../config/file-errors.js';
import { loadConfig } from '../config/load-config.js';
import { unreadableRulesFiles } from '../config/rules-files.js';
import { checkRuleReferences, loadRulesFile } from '../rules/index.js';

import type { CliCommand } from './cli-io.js';
import { resolveConfigPath } from './config-path.js';

const HELP = `Usage: loginshare-bridge check [--config FILE] [--rules FILE ...]

Validates the config file and every rules file it names, without starting
anything or calling any IdP. Errors name the file, line, column and field.
With --rules only, checks just those rules files. Exit code 0 = valid.
`;

export const runCheck: CliCommand = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, rules: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const problems: string[] = [];
  const rulesFiles = new Set(values.rules ?? []);
  let known: { connectors: string[]; realms: string[] } | undefined;
  if (!values.rules || values.config) {
    const { path } = resolveConfigPath(values.config, io.env);
    try {
      const config = await loadConfig(path, io.env);
      const unreadable = await unreadableRulesFiles(config);
      if (unreadable.length > 0) problems.push(new ConfigFileError(unreadable.map((u) => u.issue)).message);
      else io.stdout.write(`ok   ${config.file} (${counted(config.connectors.length, 'connector')}, ${counted(config.realms.length, 'realm')})\n`);
      const missing = new Set(unreadable.map((u) => u.rulesPath));
      for (const realm of config.realms) if (!missing.has(realm.rulesPath)) rulesFiles.add(realm.rulesPath);
      known = { connectors: config.connectors.map((c) => c.id), realms: config.realms.map((r) => r.id) };
    } catch (err) {
      problems.push(describe(err));
    }
  }
  for (const file of rulesFiles) {
    try {
      const rules = await loadRulesFile(file);
      const references = known ? checkRuleReferences(rules, known) : [];
      if (references.length > 0) throw new ConfigFileError(references);
      io.stdout.write(`ok   ${rules.file} (${rules.rules.length} rules, version ${rules.version})\n`);
    } catch (err) {
      problems.push(describe(err));
    }
  }
  for (const problem of problems) io.stderr.write(`${problem}\n`);
  return problems.length > 0 ? 1 : 0;
};

export function describe(err: unknown): string {
  if (err instanceof ConfigFileError) return err.message;
  return err instanceof Error ? `error: ${err.message}` : String(err);
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
