import type { Audience } from '../login/vocabulary.js';
import { formatFieldPath, type FileIssue } from '../config/file-errors.js';
import type { YamlSource } from '../config/yaml-file.js';
import { compileConditions, type ReportIssue } from './conditions.js';
import {
  DEFAULT_UNMATCHED_MESSAGE,
  FALLBACK_USERGROUP,
  PROFILE_FIELDS,
  type CompiledRule,
  type ProfileField,
  type ProfileTemplates,
  type RuleReference,
  type RuleSet,
} from './rule-set.js';
import type { RuleDocument, RulesDocument } from './schema.js';
import { compileTemplate, literalTemplate } from './template.js';

const AUDIENCES: readonly Audience[] = ['user', 'staff'];

/**
 * The checks a schema cannot express, then compilation. Every problem is collected with its position, so an
 * operator fixes a file in one round instead of one error per reload.
 */
export function compileRuleSet(
  source: YamlSource,
  doc: RulesDocument,
  hashes: { version: string; contentHash: string },
): { ruleSet: RuleSet } | { issues: FileIssue[] } {
  const issues: FileIssue[] = [];
  const position = (path: ReadonlyArray<PropertyKey>) => ({ file: source.file, ...source.locate(path), field: formatFieldPath(path) });
  const report: ReportIssue = (path, message) => issues.push({ ...position(path), message });

  const defaults: Record<Audience, ProfileTemplates> = {
    user: compileProfile(doc.defaults?.user ?? {}, ['defaults', 'user'], report),
    staff: compileProfile(doc.defaults?.staff ?? {}, ['defaults', 'staff'], report),
  };
  defaults.user.usergroup ??= literalTemplate(FALLBACK_USERGROUP);
  const unmatched = { user: doc.unmatched?.user ?? 'default', staff: doc.unmatched?.staff ?? 'deny' } as const;
  const staffHasDefaultTeam = defaults.staff.team !== undefined;
  if (unmatched.staff === 'default' && !staffHasDefaultTeam) {
    report(['unmatched', 'staff'], 'unmatched staff would be signed in without a team: set defaults.staff.team');
  }

  const rules: CompiledRule[] = [];
  const references: RuleReference[] = [];
  const firstUse = new Map<string, number>();
  /** Audiences already caught by an earlier rule without conditions: later rules for them are unreachable. */
  const caughtBy = new Map<Audience, string>();
  (doc.rules ?? []).forEach((rule, index) => {
    const at = ['rules', index] as const;
    const previous = firstUse.get(rule.name);
    if (previous !== undefined) {
      report([...at, 'name'], `duplicate rule name "${rule.name}" (also rules[${previous}] at line ${source.locate(['rules', previous]).line})`);
    } else {
      firstUse.set(rule.name, index);
    }
    const audiences = rule.audience ? [rule.audience] : AUDIENCES;
    const shadowedBy = audiences.map((a) => caughtBy.get(a));
    if (shadowedBy.every((name) => name !== undefined)) {
      report(at, `rule "${rule.name}" can never match: rule "${shadowedBy[0]}" above it has no conditions and matches first`);
    }
    checkAudienceFields(rule, at, report);
    const conditions = compileConditions(rule.when, [...at, 'when'], report);
    for (const kind of ['connector', 'realm'] as const) {
      rule.when?.[kind]?.forEach((id, i) => references.push({ kind, id, at: position([...at, 'when', kind, i]) }));
    }
    const outcome = compileOutcome(rule, at, report);
    if (!outcome) return;
    if (outcome.kind === 'set' && audiences.includes('staff') && !staffHasDefaultTeam && outcome.profile.team === undefined) {
      report([...at, 'set'], 'a staff login allowed by this rule would have no team: set team here or in defaults.staff.team');
    }
    if (!rule.when || Object.keys(rule.when).length === 0) {
      for (const a of audiences) if (!caughtBy.has(a)) caughtBy.set(a, rule.name);
    }
    rules.push({ name: rule.name, line: source.locate(at).line, audiences, conditions, outcome });
  });

  if (issues.length > 0) return { issues: issues.sort((a, b) => a.line - b.line || a.column - b.column) };
  return {
    ruleSet: {
      file: source.file,
      ...hashes,
      rules,
      defaults,
      unmatched,
      unmatchedMessage: doc.unmatchedMessage ?? DEFAULT_UNMATCHED_MESSAGE,
      unmatchedMessageFromFile: doc.unmatchedMessage !== undefined,
      references,
    },
  };
}

function compileOutcome(rule: RuleDocument, at: ReadonlyArray<PropertyKey>, report: ReportIssue): CompiledRule['outcome'] | undefined {
  if (rule.set && rule.deny !== undefined) {
    report(at, 'a rule either sets a profile (set) or denies (deny), not both');
    return undefined;
  }
  if (rule.deny !== undefined) return { kind: 'deny', message: rule.deny };
  if (!rule.set) {
    report(at, 'a rule needs set (allow; set: {} keeps the defaults) or deny: "message"');
    return undefined;
  }
  return { kind: 'set', profile: compileProfile(rule.set, [...at, 'set'], report) };
}

const USER_ONLY = PROFILE_FIELDS.user.filter((f) => !PROFILE_FIELDS.staff.includes(f));
const STAFF_ONLY = PROFILE_FIELDS.staff.filter((f) => !PROFILE_FIELDS.user.includes(f));

/** A field Kayako would never receive for the rule's audience is a mistake worth an error, not a silent drop. */
function checkAudienceFields(rule: RuleDocument, at: ReadonlyArray<PropertyKey>, report: ReportIssue): void {
  if (rule.when?.interface && rule.audience !== 'staff') {
    report([...at, 'when', 'interface'], 'interface applies to staff logins only: add audience: staff');
  }
  if (!rule.set) return;
  const fields = Object.keys(rule.set) as ProfileField[];
  const wrongFor = (audience: Audience, wrong: readonly ProfileField[]) => {
    for (const field of fields.filter((f) => wrong.includes(f))) {
      report([...at, 'set', field], `${field} is not part of a ${audience} answer (a ${audience} profile sets ${PROFILE_FIELDS[audience].join(', ')})`);
    }
  };
  if (rule.audience === 'user') wrongFor('user', STAFF_ONLY);
  else if (rule.audience === 'staff') wrongFor('staff', USER_ONLY);
  else if (fields.length > 0) {
    // Without an audience the rule also matches the other kind of login, where it would set nothing and
    // still stop the search: almost certainly a forgotten `audience:`.
    if (fields.every((f) => STAFF_ONLY.includes(f))) report([...at, 'set'], 'sets staff fields only: add audience: staff');
    if (fields.every((f) => USER_ONLY.includes(f))) report([...at, 'set'], 'sets user fields only: add audience: user');
  }
}

function compileProfile(
  values: Partial<Record<ProfileField, string>>,
  at: ReadonlyArray<PropertyKey>,
  report: ReportIssue,
): ProfileTemplates {
  const profile: ProfileTemplates = {};
  for (const field of Object.keys(values) as ProfileField[]) {
    const value = values[field];
    if (value === undefined) continue;
    const compiled = compileTemplate(value);
    if ('error' in compiled) report([...at, field], compiled.error);
    else profile[field] = compiled.template;
  }
  return profile;
}

