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

// Rendered by hand, not with an XML builder: the packet is a fixed two-level shape, and building a DOM for it
// cost ~45 µs per login — a seventh of the whole work of a minimal bridge (docs/benchmarks.md). The output is
// byte-for-byte what xmlbuilder2's pretty printer gave (test/loginshare/answer-format.test.ts holds it to that).
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n<loginshare>\n';

export function renderUserSuccess(user: KayakoUser): string {
  let xml = `${DECLARATION}  <result>1</result>\n  <user>\n`;
  xml += element(4, 'usergroup', user.usergroup);
  xml += element(4, 'fullname', user.fullname);
  if (user.designation) xml += element(4, 'designation', user.designation);
  if (user.organization) xml += element(4, 'organization', user.organization);
  if (user.organizationtype) xml += element(4, 'organizationtype', user.organizationtype);
  if (user.emails.length === 0) {
    xml += '    <emails/>\n';
  } else {
    xml += '    <emails>\n';
    for (const email of user.emails) xml += element(6, 'email', email);
    xml += '    </emails>\n';
  }
  if (user.phone) xml += element(4, 'phone', user.phone);
  return `${xml}  </user>\n</loginshare>\n`;
}

export function renderStaffSuccess(staff: KayakoStaff): string {
  let xml = `${DECLARATION}  <result>1</result>\n  <staff>\n`;
  for (const name of STAFF_ELEMENTS) xml += element(4, name, staff[name]);
  return `${xml}  </staff>\n</loginshare>\n`;
}

/** `message` is shown verbatim on Kayako's login page. */
export function renderFailure(message: string): string {
  return `${DECLARATION}  <result>0</result>\n${element(2, 'message', message)}</loginshare>\n`;
}

/** One `<name>text</name>` line; an empty value is `<name/>`, as the builder wrote it. */
function element(indent: number, name: string, value: string): string {
  const text = escapeText(xmlText(value));
  const pad = ' '.repeat(indent);
  return text === '' ? `${pad}<${name}/>\n` : `${pad}<${name}>${text}</${name}>\n`;
}

const HAS_TEXT_SPECIAL = /[&<>]/;
const TEXT_SPECIALS = /[&<>]/g;
const TEXT_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** What must be escaped in element content (`>` too, so `]]>` can never appear). */
function escapeText(value: string): string {
  return HAS_TEXT_SPECIAL.test(value) ? value.replace(TEXT_SPECIALS, (c) => TEXT_ENTITIES[c]!) : value;
}

// XML 1.0 forbids most C0 controls, U+FFFE/U+FFFF and lone surrogates; libxml refuses the whole document.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A value safe to put in an XML text node (`element` escapes `& < >`; this removes what cannot be escaped). */
export function xmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, '');
}
