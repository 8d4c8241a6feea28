import { dirname, resolve } from 'node:path';
import { ConfigFileError, formatFieldPath, type FileIssue } from '../config/file-errors.js';
import { parseYamlSource, readOperatorFile, validateYaml, type YamlSource } from '../config/yaml-file.js';
import type { Audience, Identity } from '../login/vocabulary.js';
import { PROFILE_FIELDS, type ProfileField } from '../rules/rule-set.js';
import { ruleTestFileSchema, type ExpectationDocument, type RuleTestCaseDocument } from './schema.js';

/** What one case asserts about the rules' decision. */
export type Expectation =
  | { kind: 'deny'; /** undefined: any message. */ message?: string; rule?: string | null }
  /** `null` for a field: it must not be sent. Fields not listed are not compared. */
  | { kind: 'allow'; rule?: string | null; fields: Partial<Record<ProfileField, string | null>> };

export interface RuleTestCase {
  name: string;
  /** 1-based line of the case in its file. */
  line: number;
  audience: Audience;
  staffInterface?: string;
  realmId: string;
  identity: Identity;
  expect: Expectation;
}

export interface RuleTestFile {
  file: string;
  /** The `rules:` key resolved against the file's folder, if given. */
  rulesPath?: string;
  cases: RuleTestCase[];
}

const DEFAULT_ID = 'test';
const ALL_FIELDS: readonly ProfileField[] = ['usergroup', 'organization', 'organizationtype', 'team', 'designation', 'signature'];

export async function loadRuleTestFile(path: string): Promise<RuleTestFile> {
  return parseRuleTests(await readOperatorFile(path), path);
}

/** Parses and validates a rule-test file; every problem names file:line:column and the key. */
export function parseRuleTests(text: string, file: string): RuleTestFile {
  const source = parseYamlSource(text, file);
  if (source.data === null || source.data === undefined) {
    throw new ConfigFileError([{ file, line: 0, column: 0, field: '', message: 'the test file is empty (write at least one entry under "cases:")' }]);
  }
  const doc = validateYaml(source, ruleTestFileSchema);
  const issues: FileIssue[] = [];
  const report = (path: ReadonlyArray<PropertyKey>, message: string) =>
    issues.push({ file, ...source.locate(path), field: formatFieldPath(path), message });

  const seen = new Map<string, number>();
  const cases = doc.cases.map((c, index) => {
    const at = ['cases', index] as const;
    const earlier = seen.get(c.name);
    if (earlier !== undefined) report([...at, 'name'], `duplicate case name (also cases[${earlier}])`);
    else seen.set(c.name, index);
    return toCase(c, { source, at, report, realm: doc.realm, connector: doc.connector });
  });
  if (issues.length > 0) throw new ConfigFileError(issues);
  return { file, ...(doc.rules ? { rulesPath: resolve(dirname(file), doc.rules) } : {}), cases };
}

interface CaseContext {
  source: YamlSource;
  at: readonly PropertyKey[];
  report: (path: ReadonlyArray<PropertyKey>, message: string) => void;
  realm: string | undefined;
  connector: string | undefined;
}

function toCase(c: RuleTestCaseDocument, ctx: CaseContext): RuleTestCase {
  const audience: Audience = c.audience ?? 'user';
  if (audience === 'user' && c.interface !== undefined) ctx.report([...ctx.at, 'interface'], 'only staff logins have an interface (add "audience: staff")');
  const raw = c.identity ?? {};
  const username = raw.username ?? c.name;
  const identity: Identity = {
    subject: raw.subject ?? username,
    username,
    emails: raw.emails ?? [],
    groups: raw.groups ?? [],
    claims: raw.claims ?? {},
    connectorId: raw.connector ?? ctx.connector ?? DEFAULT_ID,
    ...(raw.givenName !== undefined ? { givenName: raw.givenName } : {}),
    ...(raw.familyName !== undefined ? { familyName: raw.familyName } : {}),
    ...(raw.displayName !== undefined ? { displayName: raw.displayName } : {}),
    ...(raw.phone !== undefined ? { phone: raw.phone } : {}),
  };
  return {
    name: c.name,
    line: ctx.source.locate(ctx.at).line,
    audience,
    ...(audience === 'staff' ? { staffInterface: (c.interface ?? 'staff').toLowerCase() } : {}),
    realmId: c.realm ?? ctx.realm ?? DEFAULT_ID,
    identity,
    expect: toExpectation(c.expect, audience, [...ctx.at, 'expect'], ctx.report),
  };
}

function toExpectation(
  doc: ExpectationDocument,
  audience: Audience,
  at: readonly PropertyKey[],
  report: CaseContext['report'],
): Expectation {
  const fields: Partial<Record<ProfileField, string | null>> = {};
  for (const field of ALL_FIELDS) {
    const value = doc[field];
    if (value === undefined) continue;
    if (!PROFILE_FIELDS[audience].includes(field)) {
      report([...at, field], `a ${audience} answer has no ${field} (${audience} fields: ${PROFILE_FIELDS[audience].join(', ')})`);
    }
    fields[field] = value;
  }
  const rule = 'rule' in doc ? { rule: doc.rule ?? null } : {};
  if (doc.deny !== undefined) {
    for (const field of Object.keys(fields)) report([...at, field], 'a denied login has no profile: give either deny or profile fields');
    return { kind: 'deny', ...(doc.deny === true ? {} : { message: doc.deny }), ...rule };
  }
  return { kind: 'allow', fields, ...rule };
}
