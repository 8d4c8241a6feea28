import {
  INVALID_DATA,
  readLoginShareAnswer,
  type Audience,
  type KayakoRefusal,
  type KayakoStaffProfile,
  type KayakoUserProfile,
  type KayakoVerdict,
  type RefusalCode,
} from './kayako-answer.js';
import { phpEmptyString, phpTrim } from './php-semantics.js';

export {
  INVALID_DATA,
  KAYAKO_BAD_LOGIN_PHRASE,
  readLoginShareAnswer,
  type Audience,
  type KayakoRefusal,
  type KayakoStaffProfile,
  type KayakoUserProfile,
  type KayakoVerdict,
  type RefusalCode,
} from './kayako-answer.js';

/**
 * What is known about the Kayako instance. Every field is optional: a check whose facts are missing is
 * skipped (and said so in a warning where it matters).
 */
export interface KayakoFacts {
  /** Titles of the Kayako user groups of the *registered* type (Kayako matches <usergroup> against these). */
  userGroups?: readonly string[];
  /** Titles of the staff teams (staff groups). */
  teams?: readonly string[];
  /** Titles of the teams flagged as admin teams (needed for the Admin CP). */
  adminTeams?: readonly string[];
  /** Staff answers: the interface the login came from ("admin" means the Admin CP). */
  interface?: string;
  /**
   * Whether the Kayako account already exists (user: one of the emails is known; staff: the username is).
   * Unknown: the verdict is "accepted" only if Kayako accepts both for a first login and for a returning one.
   */
  accountExists?: boolean;
}

/**
 * Judge a LoginShare answer exactly as Kayako 4 would: the body rules of SWIFT_LoginShareUser /
 * SWIFT_LoginShareStaff (readLoginShareAnswer), then the rules that depend on Kayako's data, under the
 * facts given. Pure: no I/O.
 */
export function judgeLoginShareAnswer(body: Uint8Array | string, audience: Audience, facts: KayakoFacts = {}): KayakoVerdict {
  const reading = readLoginShareAnswer(body, audience);
  if (!reading.accepted) return reading;
  const judge = (exists: boolean): Outcome =>
    reading.audience === 'user' ? judgeUserAccount(reading.user, facts, exists) : judgeStaffAccount(reading.staff, facts, exists);

  const cases: { exists: boolean; label: string }[] =
    facts.accountExists === undefined
      ? [
          { exists: false, label: 'first login (new account)' },
          { exists: true, label: 'returning login (existing account)' },
        ]
      : [{ exists: facts.accountExists, label: facts.accountExists ? 'existing account' : 'new account' }];
  const outcomes = cases.map((c) => ({ ...c, outcome: judge(c.exists) }));
  const warnings = [...reading.warnings];
  for (const { outcome, label } of outcomes) {
    for (const warning of outcome.warnings) warnings.push(cases.length > 1 ? `${capitalise(label)}: ${warning}` : warning);
  }
  const failed = outcomes.find((o) => o.outcome.refusal !== undefined);
  if (failed?.outcome.refusal) {
    const { code, kayakoMessage, reason } = failed.outcome.refusal;
    const otherAccepts = cases.length > 1 && outcomes.some((o) => o.outcome.refusal === undefined);
    const qualifier = cases.length > 1 ? `For a ${failed.label}: ` : '';
    const contrast = otherAccepts ? ` (The other case would be accepted.)` : '';
    return { accepted: false, audience, code, kayakoMessage, reason: `${qualifier}${reason}${contrast}`, warnings };
  }
  return { ...reading, warnings };
}

interface Outcome {
  refusal?: Pick<KayakoRefusal, 'code' | 'kayakoMessage' | 'reason'>;
  warnings: string[];
}

const refusal = (code: RefusalCode, kayakoMessage: string, reason: string): Outcome['refusal'] => ({ code, kayakoMessage, reason });

function judgeUserAccount(user: KayakoUserProfile, facts: KayakoFacts, exists: boolean): Outcome {
  const warnings: string[] = [];
  const groupKnown = facts.userGroups === undefined ? undefined : facts.userGroups.includes(user.usergroup);
  if (groupKnown === false) noteNearMatch('user group', user.usergroup, facts.userGroups!, warnings);
  const nameBlank = phpTrim(user.fullname) === '';

  if (!exists) {
    if (groupKnown === false) {
      return {
        warnings,
        refusal: refusal('invalid-group', `${INVALID_DATA}: Invalid Group`, `No registered user group is titled ${JSON.stringify(user.usergroup)}, so Kayako cannot create the user.`),
      };
    }
    if (nameBlank) {
      return { warnings, refusal: refusal('account-data-rejected', INVALID_DATA, 'Kayako refuses to create a user with an empty <fullname> (SWIFT_User::Create throws).') };
    }
    return { warnings };
  }

  if (groupKnown === false) {
    warnings.push(`The user group ${JSON.stringify(user.usergroup)} does not exist: Kayako keeps the user's current group and does not update the full name either.`);
  } else if (nameBlank) {
    return { warnings, refusal: refusal('account-data-rejected', INVALID_DATA, 'Kayako throws while updating an existing user with an empty <fullname> (UpdateLoginShare).') };
  }
  return { warnings };
}

function judgeStaffAccount(staff: KayakoStaffProfile, facts: KayakoFacts, exists: boolean): Outcome {
  const warnings: string[] = [];
  const isAdminCp = facts.interface === 'admin';
  const fallback = isAdminCp ? ' In the Admin CP Kayako then falls back to its local staff passwords.' : '';

  if (!exists) {
    if (facts.teams !== undefined && !facts.teams.includes(staff.team)) {
      noteNearMatch('team', staff.team, facts.teams, warnings);
      return {
        warnings,
        refusal: refusal('invalid-group', `${INVALID_DATA}: Invalid Group`, `No team is titled ${JSON.stringify(staff.team)}, so Kayako cannot create the staff account.${fallback}`),
      };
    }
    if (isAdminCp) {
      if (facts.adminTeams === undefined) warnings.push('Admin CP: cannot tell whether the team is an admin team (no admin team list given).');
      else if (!facts.adminTeams.includes(staff.team)) {
        return {
          warnings,
          refusal: refusal('not-admin-team', 'Staff Group is not Admin', `The team ${JSON.stringify(staff.team)} is not an admin team, and the Admin CP requires one.${fallback}`),
        };
      }
    }
    if (phpEmptyString(staff.email) || (phpEmptyString(staff.firstname) && phpEmptyString(staff.lastname))) {
      return {
        warnings,
        refusal: refusal('account-data-rejected', INVALID_DATA, 'Kayako refuses to create a staff account without an email or without any name (SWIFT_Staff::Create throws).'),
      };
    }
    if (phpEmptyString(staff.firstname)) warnings.push('<firstname> is empty: the account is created, but every later login fails (UpdateLoginShare requires a first name).');
    return { warnings };
  }

  if (phpEmptyString(staff.firstname) || phpEmptyString(staff.email)) {
    return {
      warnings,
      refusal: refusal('account-data-rejected', INVALID_DATA, 'Kayako throws while updating an existing staff member whose <firstname> or <email> is empty (UpdateLoginShare).'),
    };
  }
  if (facts.teams !== undefined && !facts.teams.includes(staff.team)) {
    warnings.push(`No team is titled ${JSON.stringify(staff.team)}: harmless for an existing staff member (Kayako keeps their team), but a new one would be refused.`);
  }
  if (isAdminCp) warnings.push('Admin CP: the existing staff member\'s current team must be an admin team (not checkable from the answer).');
  return { warnings };
}

/** Kayako's MySQL collation usually ignores case and trailing spaces; say so when only that would match. */
function noteNearMatch(kind: string, title: string, titles: readonly string[], warnings: string[]): void {
  const loose = (s: string): string => s.replace(/ +$/, '').toLowerCase();
  const near = titles.find((t) => loose(t) === loose(title));
  if (near !== undefined) {
    warnings.push(`The ${kind} ${JSON.stringify(title)} matches ${JSON.stringify(near)} only ignoring case or trailing spaces; whether Kayako's MySQL collation does that depends on the installation. Send the exact title.`);
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
