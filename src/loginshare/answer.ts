import { create } from 'xmlbuilder2';

/**
 * The XML packets Kayako parses (protocol note, "The answer Kayako parses"). Kayako reads only the body, with
 * simplexml: one malformed byte and every login fails, so every value goes through `xmlText`.
 */

export interface KayakoUser {
  usergroup: string;
  /** Never empty: an empty full name makes Kayako throw while updating an existing user. */
  fullname: string;
  /** Primary first; Kayako links accounts by these. At least one. */
  emails: string[];
  designation?: string;
  organization?: string;
  organizationtype?: 'shared' | 'restricted';
  phone?: string;
}

/** All seven elements are always sent: Kayako rejects a staff answer that lacks any of them. */
export interface KayakoStaff {
  team: string;
  firstname: string;
  lastname: string;
  designation: string;
  email: string;
  mobilenumber: string;
  signature: string;
}

export const STAFF_ELEMENTS = [
  'team',
  'firstname',
  'lastname',
  'designation',
  'email',
  'mobilenumber',
  'signature',
] as const satisfies ReadonlyArray<keyof KayakoStaff>;

export function renderUserSuccess(user: KayakoUser): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('loginshare');
  root.ele('result').txt('1');
  const node = root.ele('user');
  node.ele('usergroup').txt(xmlText(user.usergroup));
  node.ele('fullname').txt(xmlText(user.fullname));
  if (user.designation) node.ele('designation').txt(xmlText(user.designation));
  if (user.organization) node.ele('organization').txt(xmlText(user.organization));
  if (user.organizationtype) node.ele('organizationtype').txt(user.organizationtype);
  const emails = node.ele('emails');
  for (const email of user.emails) emails.ele('email').txt(xmlText(email));
  if (user.phone) node.ele('phone').txt(xmlText(user.phone));
  return root.end({ prettyPrint: true }) + '\n';
}

export function renderStaffSuccess(staff: KayakoStaff): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('loginshare');
  root.ele('result').txt('1');
  const node = root.ele('staff');
  for (const name of STAFF_ELEMENTS) node.ele(name).txt(xmlText(staff[name]));
  return root.end({ prettyPrint: true }) + '\n';
}

/** `message` is shown verbatim on Kayako's login page. */
export function renderFailure(message: string): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('loginshare');
  root.ele('result').txt('0');
  root.ele('message').txt(xmlText(message));
  return root.end({ prettyPrint: true }) + '\n';
}

// XML 1.0 forbids most C0 controls, U+FFFE/U+FFFF and lone surrogates; libxml refuses the whole document.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A value safe to put in an XML text node (the builder escapes `& < >`; this removes what cannot be escaped). */
export function xmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, '');
}
