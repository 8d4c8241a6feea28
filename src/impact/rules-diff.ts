import type { Identity } from '../login/vocabulary.js';
import { evaluateRules, type RuleDecision, type RuleSet } from '../rules/index.js';
import { PROFILE_FIELDS, type ProfileField } from '../rules/rule-set.js';
import type { SampleIdentity } from './sample.js';

/** How one person's answer would change between two rules files. */
export type ImpactChange =
  | { kind: 'now-denied'; message: string; was: Partial<Record<ProfileField, string>> }
  | { kind: 'no-longer-denied'; was: string; now: Partial<Record<ProfileField, string>> }
  | { kind: 'deny-message'; was: string; now: string }
  | { kind: 'profile'; fields: Array<{ field: ProfileField; was: string | null; now: string | null }> };

export interface ImpactEntry {
  identity: { username: string; subject: string; audience: 'user' | 'staff'; interface?: string; realm: string; connector: string };
  before: RuleDecision;
  after: RuleDecision;
  /** Undefined: the person gets the same answer (possibly through another rule). */
  change?: ImpactChange;
}

export interface ImpactReport {
  oldRules: { file: string; version: string };
  newRules: { file: string; version: string };
  total: number;
  changed: ImpactEntry[];
  unchanged: ImpactEntry[];
}

/** Replays every sampled identity against both rules files and keeps the ones whose answer would change. */
export function compareRules(oldRules: RuleSet, newRules: RuleSet, sample: readonly SampleIdentity[], defaultRealm: string): ImpactReport {
  const changed: ImpactEntry[] = [];
  const unchanged: ImpactEntry[] = [];
  for (const person of sample) {
    const realmId = person.realm ?? defaultRealm;
    const identity: Identity = {
      subject: person.subject,
      username: person.username,
      emails: person.emails,
      groups: person.groups,
      claims: person.claims,
      connectorId: person.connector,
    };
    const staffInterface = person.audience === 'staff' ? (person.interface ?? 'staff') : undefined;
    const input = { audience: person.audience, identity, realmId, ...(staffInterface !== undefined ? { staffInterface } : {}) };
    const before = evaluateRules(oldRules, input);
    const after = evaluateRules(newRules, input);
    const change = describeChange(person.audience, before, after);
    const entry: ImpactEntry = {
      identity: { username: person.username, subject: person.subject, audience: person.audience, realm: realmId, connector: person.connector, ...(staffInterface !== undefined ? { interface: staffInterface } : {}) },
      before,
      after,
      ...(change ? { change } : {}),
    };
    (change ? changed : unchanged).push(entry);
  }
  return {
    oldRules: { file: oldRules.file, version: oldRules.version },
    newRules: { file: newRules.file, version: newRules.version },
    total: sample.length,
    changed,
    unchanged,
  };
}

function describeChange(audience: 'user' | 'staff', before: RuleDecision, after: RuleDecision): ImpactChange | undefined {
  if (before.kind === 'allow' && after.kind === 'deny') return { kind: 'now-denied', message: after.message, was: before.profile };
  if (before.kind === 'deny' && after.kind === 'allow') return { kind: 'no-longer-denied', was: before.message, now: after.profile };
  if (before.kind === 'deny' && after.kind === 'deny') {
    return before.message === after.message ? undefined : { kind: 'deny-message', was: before.message, now: after.message };
  }
  if (before.kind !== 'allow' || after.kind !== 'allow') return undefined;
  const fields = PROFILE_FIELDS[audience]
    .filter((field) => (before.profile[field] ?? null) !== (after.profile[field] ?? null))
    .map((field) => ({ field, was: before.profile[field] ?? null, now: after.profile[field] ?? null }));
  return fields.length > 0 ? { kind: 'profile', fields } : undefined;
}

/** The table people read: one row per person whose answer changes. */
export function formatImpactTable(report: ImpactReport, options: { all?: boolean } = {}): string {
  const lines = [
    `${report.oldRules.file} (version ${report.oldRules.version}) → ${report.newRules.file} (version ${report.newRules.version})`,
    `${report.changed.length} of ${report.total} identities would get a different answer${summary(report)}`,
  ];
  const rows = (options.all ? [...report.changed, ...report.unchanged] : report.changed).map((e) => [
    e.identity.username,
    e.identity.audience + (e.identity.interface && e.identity.interface !== 'staff' ? `/${e.identity.interface}` : ''),
    e.change ? describe(e.change) : 'unchanged',
    `${ruleName(e.before.rule)} → ${ruleName(e.after.rule)}`,
  ]);
  if (rows.length > 0) {
    const header = ['IDENTITY', 'AUDIENCE', 'CHANGE', 'RULE (old → new)'];
    const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
    lines.push('', ...[header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')));
  }
  return `${lines.join('\n')}\n`;
}

function summary(report: ImpactReport): string {
  const counts = new Map<string, number>();
  for (const e of report.changed) {
    const c = e.change!;
    const keys = c.kind === 'profile' ? c.fields.map((f) => `${f.field} changes`) : [c.kind === 'now-denied' ? 'newly denied' : c.kind === 'no-longer-denied' ? 'no longer denied' : 'denial message changes'];
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  if (counts.size === 0) return '';
  return ` (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')})`;
}

function describe(change: ImpactChange): string {
  switch (change.kind) {
    case 'now-denied':
      return `now DENIED: ${JSON.stringify(change.message)}`;
    case 'no-longer-denied':
      return `no longer denied (was ${JSON.stringify(change.was)}): ${fields(change.now)}`;
    case 'deny-message':
      return `denial message ${JSON.stringify(change.was)} → ${JSON.stringify(change.now)}`;
    case 'profile':
      return change.fields.map((f) => `${f.field} ${value(f.was)} → ${value(f.now)}`).join(', ');
  }
}

function fields(profile: Partial<Record<ProfileField, string>>): string {
  return Object.entries(profile).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') || '(defaults)';
}

function value(v: string | null): string {
  return v === null ? '(none)' : JSON.stringify(v);
}

function ruleName(rule: string | null): string {
  return rule ?? '(unmatched)';
}
