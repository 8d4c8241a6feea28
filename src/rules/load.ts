import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigFileError } from '../config/file-errors.js';
import { parseYamlSource, validateYaml } from '../config/yaml-file.js';
import { compileRuleSet } from './compile.js';
import type { RuleSet } from './rule-set.js';
import { rulesFileSchema } from './schema.js';

/** Parses, validates and compiles a rules file. Throws ConfigFileError naming file:line:column field. */
export function parseRules(text: string, file: string): RuleSet {
  const source = parseYamlSource(text, file);
  if (source.data === null || source.data === undefined) {
    // Most likely a half-written file or an empty ConfigMap key, not an intent to allow everyone with defaults.
    throw new ConfigFileError([{ file, line: 0, column: 0, field: '', message: 'the rules file is empty (write at least "rules: []")' }]);
  }
  const doc = validateYaml(source, rulesFileSchema);
  const contentHash = rulesContentHash(text);
  const compiled = compileRuleSet(source, doc, { version: contentHash.slice(0, 12), contentHash });
  if ('issues' in compiled) throw new ConfigFileError(compiled.issues);
  return { ...compiled.ruleSet, text };
}

export function rulesContentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function loadRulesFile(path: string): Promise<RuleSet> {
  return parseRules(await readRulesText(path), path);
}

/** The file's text; a missing or unreadable file is a ConfigFileError like any other problem with it. */
export async function readRulesText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigFileError([{ file: path, line: 0, column: 0, field: '', message: reason }]);
  }
}
