import type { FileIssue } from '../config/file-errors.js';
import type { Audience } from '../login/vocabulary.js';
import type { Condition } from './conditions.js';
import type { CompiledTemplate } from './template.js';

/** What rules may set; values are rendered and trimmed, never otherwise changed. */
export interface ProfileFields {
  usergroup?: string;
  organization?: string;
  organizationtype?: 'shared' | 'restricted';
  team?: string;
  designation?: string;
  signature?: string;
}

export type ProfileField = keyof ProfileFields;

/** The fields each Kayako answer carries (loginshare-protocol.md): anything else is not set for that audience. */
export const PROFILE_FIELDS: Readonly<Record<Audience, readonly ProfileField[]>> = {
  user: ['usergroup', 'organization', 'organizationtype', 'designation'],
  staff: ['team', 'designation', 'signature'],
};

export type RuleDecision =
  /** `rule` is null when no rule matched and the defaults were applied. */
  | { kind: 'allow'; rule: string | null; profile: ProfileFields }
  | { kind: 'deny'; rule: string | null; message: string };

export type ProfileTemplates = Partial<Record<ProfileField, CompiledTemplate>>;

export interface CompiledRule {
  readonly name: string;
  /** 1-based line of the rule in its file, for `explain` and error messages. */
  readonly line: number;
  readonly audiences: readonly Audience[];
  /** All must hold; empty = the rule matches every login of its audiences. */
  readonly conditions: readonly Condition[];
  readonly outcome: { readonly kind: 'set'; readonly profile: ProfileTemplates } | { readonly kind: 'deny'; readonly message: string };
}

/** A validated, compiled rules file. Immutable: a reload produces a new RuleSet. */
export interface RuleSet {
  readonly file: string;
  /** First 12 hex digits of the sha256 of the file text: names the rules version in logs and `explain`. */
  readonly version: string;
  /** Full sha256 of the file text; the watcher compares it to notice a changed file. */
  readonly contentHash: string;
  /** The file text these rules were compiled from: what the ops port hands `loginshare-bridge diff --live`. */
  readonly text?: string;
  readonly rules: readonly CompiledRule[];
  readonly defaults: Readonly<Record<Audience, ProfileTemplates>>;
  readonly unmatched: Readonly<Record<Audience, 'default' | 'deny'>>;
  readonly unmatchedMessage: string;
  /** false: the file sets no `unmatchedMessage`, so a realm's `messages.deniedByDefault` may replace the default. */
  readonly unmatchedMessageFromFile: boolean;
  /** Connector and realm ids the rules name: only the config file knows whether they exist (references.ts). */
  readonly references: readonly RuleReference[];
}

export interface RuleReference {
  readonly kind: 'connector' | 'realm';
  readonly id: string;
  /** Where the id is written, for an error message. */
  readonly at: Omit<FileIssue, 'message'>;
}

/** Kayako's stock user group: used when the file names no default usergroup, since the user answer needs one. */
export const FALLBACK_USERGROUP = 'Registered';
export const DEFAULT_UNMATCHED_MESSAGE = 'Your account is not allowed to sign in here';
