import { isEmailValidLikeKayako } from './php-email.js';
import { phpEmptyString, phpIntCast, phpStrToLowerAscii, phpTrimBytes } from './php-semantics.js';
import { childNamed, childrenNamed, loadSimpleXml, type SimpleXmlElement } from './simplexml.js';

/**
 * How Kayako 4 reads a LoginShare answer before it looks at its own database: the part of
 * SWIFT_LoginShareUser::Authenticate / SWIFT_LoginShareStaff::Authenticate that depends on the body
 * alone (protocol note, "The answer Kayako parses"). Rules that depend on Kayako's data (groups, teams,
 * whether the account exists) are in kayako-judge.ts.
 */

export type Audience = 'user' | 'staff';

/** The user profile as Kayako takes it from a successful user answer. */
export interface KayakoUserProfile {
  usergroup: string;
  fullname: string;
  /** Valid addresses only, lower-cased, in the order sent; Kayako links accounts by these. */
  emails: string[];
  designation?: string;
  /** Present only when the element is there and not PHP-empty. */
  organization?: string;
  /** Anything but "shared" (any case) means restricted. */
  organizationtype: 'shared' | 'restricted';
  phone?: string;
}

/** The staff profile as Kayako takes it from a successful staff answer (all seven are required). */
export interface KayakoStaffProfile {
  team: string;
  firstname: string;
  lastname: string;
  designation: string;
  email: string;
  mobilenumber: string;
  signature: string;
}

export type RefusalCode =
  /** "Invalid data provided: 1" — nothing came back (or the body was "0"). */
  | 'empty-answer'
  /** "Invalid data provided: 2" — not XML simplexml accepts, or no <result> under the root. */
  | 'malformed-answer'
  /** result cast to 0: Kayako shows <message> verbatim. */
  | 'login-failed'
  /** "Invalid data provided: 5" — result not 0/1, or a required element missing. */
  | 'incomplete-answer'
  /** "Invalid data provided: No Emails" */
  | 'no-valid-email'
  /** "Invalid data provided: Invalid Group" */
  | 'invalid-group'
  /** "Staff Group is not Admin" (Admin CP) */
  | 'not-admin-team'
  /** Kayako throws while writing the account (empty full name, first name or email). */
  | 'account-data-rejected';

export interface KayakoRefusal {
  accepted: false;
  audience: Audience;
  code: RefusalCode;
  /** What the person sees on Kayako's login page. */
  kayakoMessage: string;
  /** Why, for the operator. */
  reason: string;
  warnings: string[];
}

export type KayakoVerdict =
  | { accepted: true; audience: 'user'; user: KayakoUserProfile; warnings: string[] }
  | { accepted: true; audience: 'staff'; staff: KayakoStaffProfile; warnings: string[] }
  | KayakoRefusal;

/** Kayako's SWIFT_INVALIDDATA text, the prefix of its own error messages. */
export const INVALID_DATA = 'Invalid data provided';
/** The phrase Kayako's support-center lockout counts (English locale). */
export const KAYAKO_BAD_LOGIN_PHRASE = 'Invalid Username or Password';

/** Column widths in Kayako's schema: longer values are cut by MySQL (or refused in strict mode). */
export const USER_COLUMN_LIMITS = { fullname: 200, designation: 255, phone: 25 } as const;
export const STAFF_COLUMN_LIMITS = { firstname: 100, lastname: 100, designation: 200, email: 255, mobilenumber: 20 } as const;

export const STAFF_ELEMENTS = ['team', 'firstname', 'lastname', 'designation', 'email', 'mobilenumber', 'signature'] as const;

/** Read an answer body the way Kayako does, up to the point where Kayako consults its database. */
export function readLoginShareAnswer(body: Uint8Array | string, audience: Audience): KayakoVerdict {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const warnings: string[] = [];
  const refuse = (code: RefusalCode, kayakoMessage: string, reason: string): KayakoRefusal => ({
    accepted: false,
    audience,
    code,
    kayakoMessage,
    reason,
    warnings,
  });

  // PHP empty() on the raw body: "" and "0" are empty.
  if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x30)) {
    return refuse('empty-answer', `${INVALID_DATA}: 1`, 'The answer body is empty, so Kayako has nothing to parse.');
  }

  const loaded = loadSimpleXml(phpTrimBytes(bytes));
  if (!loaded.ok) {
    return refuse(
      'malformed-answer',
      `${INVALID_DATA}: 2`,
      `simplexml_load_string() would fail on this body: ${loaded.error}. ${describeBodyStart(bytes)}`,
    );
  }
  const { document } = loaded;
  const root = document.root;
  const resultElement = childNamed(root, 'result');
  if (resultElement === undefined) {
    return refuse(
      'malformed-answer',
      `${INVALID_DATA}: 2`,
      `The XML parses, but the root element <${root.name}> has no <result> child (a prefixed or nested <result> does not count).`,
    );
  }
  noteDocumentQuirks(document.hasBom, document.hasXmlDeclaration, document.encoding, warnings);
  noteDuplicates(root, ['result', 'message', audience], warnings);
  if (resultElement.attributeCount > 0) warnings.push('Attributes are ignored by Kayako; only the text of <result> counts.');

  const result = phpIntCast(resultElement.text);
  if (result === 0n) {
    const message = childNamed(root, 'message')?.text ?? '';
    const lockout =
      message === KAYAKO_BAD_LOGIN_PHRASE
        ? ' This is Kayako\'s own bad-login phrase, so its support-center lockout counts the attempt.'
        : ' Kayako\'s lockout does not count this attempt (the message is not its bad-login phrase).';
    if (message === '') warnings.push('The failure has no <message> text: the person sees an empty error.');
    return refuse('login-failed', message, `<result> is ${JSON.stringify(resultElement.text)} (read as 0): login refused.${lockout}`);
  }
  if (resultElement.text !== '1') {
    warnings.push(`<result> is ${JSON.stringify(resultElement.text)}; Kayako reads it as ${result} (PHP (int) cast). Send exactly 1.`);
  }
  if (result !== 1n) {
    return refuse('incomplete-answer', `${INVALID_DATA}: 5`, `<result> is read as ${result}; Kayako accepts only 0 or 1.`);
  }
  return audience === 'user' ? readUserSuccess(root, warnings, refuse) : readStaffSuccess(root, warnings, refuse);
}

type Refuse = (code: RefusalCode, kayakoMessage: string, reason: string) => KayakoRefusal;

function readUserSuccess(root: SimpleXmlElement, warnings: string[], refuse: Refuse): KayakoVerdict {
  const user = childNamed(root, 'user');
  const missing = user === undefined ? ['user'] : (['usergroup', 'fullname', 'emails'] as const).filter((name) => childNamed(user, name) === undefined);
  if (user === undefined || missing.length > 0) {
    const hint = user === undefined && childNamed(root, 'staff') !== undefined ? ' The answer carries <staff>: is this the staff URL?' : '';
    return refuse(
      'incomplete-answer',
      `${INVALID_DATA}: 5`,
      `A user success needs <user> with <usergroup>, <fullname> and <emails>; missing: ${missing.map((m) => `<${m}>`).join(', ')}.${hint}`,
    );
  }
  noteDuplicates(user, ['usergroup', 'fullname', 'emails', 'designation', 'organization', 'organizationtype', 'phone'], warnings);

  const emails: string[] = [];
  for (const element of childrenNamed(childNamed(user, 'emails')!, 'email')) {
    const address = element.text;
    if (!isEmailValidLikeKayako(address)) {
      warnings.push(`Kayako silently drops the invalid email ${JSON.stringify(address)}.`);
      continue;
    }
    // mb_strtolower(): valid addresses are ASCII, so plain lower-casing is exact.
    const lowered = address.toLowerCase();
    if (emails.includes(lowered)) warnings.push(`The email ${lowered} is sent twice.`);
    else emails.push(lowered);
  }
  if (emails.length === 0) {
    return refuse('no-valid-email', `${INVALID_DATA}: No Emails`, 'None of the <email> elements under <emails> is a valid address.');
  }

  const usergroup = childNamed(user, 'usergroup')!.text;
  const fullname = childNamed(user, 'fullname')!.text;
  const profile: KayakoUserProfile = { usergroup, fullname, emails, organizationtype: 'restricted' };
  const designation = childNamed(user, 'designation');
  if (designation !== undefined) profile.designation = designation.text;
  const phone = childNamed(user, 'phone');
  if (phone !== undefined) profile.phone = phone.text;
  const organization = childNamed(user, 'organization');
  if (organization !== undefined && !organization.emptyLikePhp) profile.organization = organization.text;
  const organizationtype = childNamed(user, 'organizationtype');
  if (organizationtype !== undefined && phpStrToLowerAscii(organizationtype.text) === 'shared') profile.organizationtype = 'shared';

  if (usergroup !== usergroup.trim()) warnings.push(`<usergroup> ${JSON.stringify(usergroup)} has surrounding spaces; Kayako matches the title as sent.`);
  if (usergroup === '') warnings.push('<usergroup> is empty: no Kayako user group matches it.');
  if (organizationtype !== undefined && !['shared', 'restricted', ''].includes(phpStrToLowerAscii(organizationtype.text))) {
    warnings.push(`<organizationtype> ${JSON.stringify(organizationtype.text)} is neither shared nor restricted: Kayako uses restricted.`);
  }
  if (profile.organization !== undefined && /[%_]/.test(profile.organization)) {
    warnings.push(`<organization> ${JSON.stringify(profile.organization)} contains % or _, which Kayako's SQL LIKE treats as wildcards: it may match another organization.`);
  }
  if (organization !== undefined && profile.organization === undefined) {
    warnings.push('<organization> is empty (or "0"): Kayako ignores it.');
  }
  noteColumnLimits({ fullname, designation: profile.designation, phone: profile.phone }, USER_COLUMN_LIMITS, warnings);
  return { accepted: true, audience: 'user', user: profile, warnings };
}

function readStaffSuccess(root: SimpleXmlElement, warnings: string[], refuse: Refuse): KayakoVerdict {
  const staff = childNamed(root, 'staff');
  const missing = staff === undefined ? ['staff'] : STAFF_ELEMENTS.filter((name) => childNamed(staff, name) === undefined);
  if (staff === undefined || missing.length > 0) {
    const hint = staff === undefined && childNamed(root, 'user') !== undefined ? ' The answer carries <user>: is this the user URL?' : '';
    return refuse(
      'incomplete-answer',
      `${INVALID_DATA}: 5`,
      `A staff success needs <staff> with all seven of ${STAFF_ELEMENTS.map((e) => `<${e}>`).join(', ')} (even empty); missing: ${missing.map((m) => `<${m}>`).join(', ')}.${hint}`,
    );
  }
  noteDuplicates(staff, STAFF_ELEMENTS, warnings);
  const text = (name: (typeof STAFF_ELEMENTS)[number]): string => childNamed(staff, name)!.text;
  const profile: KayakoStaffProfile = {
    team: text('team'),
    firstname: text('firstname'),
    lastname: text('lastname'),
    designation: text('designation'),
    email: text('email'),
    mobilenumber: text('mobilenumber'),
    signature: text('signature'),
  };
  if (!phpEmptyString(profile.email) && !isEmailValidLikeKayako(profile.email.trim())) {
    warnings.push(`<email> ${JSON.stringify(profile.email)} is not a valid address; Kayako stores staff email unchecked (lower-cased).`);
  }
  if (profile.team !== profile.team.trim()) warnings.push(`<team> ${JSON.stringify(profile.team)} has surrounding spaces; Kayako matches the title as sent.`);
  noteColumnLimits({ ...profile }, STAFF_COLUMN_LIMITS, warnings);
  return { accepted: true, audience: 'staff', staff: profile, warnings };
}

function noteDocumentQuirks(hasBom: boolean, hasDeclaration: boolean, encoding: string, warnings: string[]): void {
  if (hasBom) {
    warnings.push('The body starts with a UTF-8 byte-order mark. libxml2 accepts it here, but a BOM followed by any whitespace or output fails: drop it.');
  }
  if (!hasDeclaration) warnings.push('No XML declaration: Kayako accepts it, but send <?xml version="1.0" encoding="UTF-8"?>.');
  if (encoding !== 'UTF-8') warnings.push(`The body is encoded as ${encoding}; send UTF-8.`);
}

function noteDuplicates(parent: SimpleXmlElement, names: readonly string[], warnings: string[]): void {
  for (const name of names) {
    if (childrenNamed(parent, name).length > 1) warnings.push(`<${parent.name}> has several <${name}> elements: Kayako reads only the first.`);
  }
}

function noteColumnLimits(values: Record<string, string | undefined>, limits: Record<string, number>, warnings: string[]): void {
  for (const [field, limit] of Object.entries(limits)) {
    const value = values[field];
    if (value !== undefined && [...value].length > limit) {
      warnings.push(`<${field}> is ${[...value].length} characters; Kayako's column holds ${limit}, so MySQL cuts it (or refuses it in strict mode).`);
    }
  }
}

/** A short, safe description of how the body starts, to make "junk before <?xml" obvious. */
function describeBodyStart(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 60)).toString('latin1');
  const printable = head.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `The body starts with: ${JSON.stringify(printable)}${bytes.length > 60 ? '…' : ''}`;
}
