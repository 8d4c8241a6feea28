import { create } from 'xmlbuilder2';
import type { XMLBuilder, XMLWriterOptions } from 'xmlbuilder2/lib/interfaces.js';

/**
 * The XML packets Kayako parses (protocol note, "The answer Kayako parses"). Kayako reads only the body, with
 * simplexml: one malformed byte and every login fails, so every value goes through `builderText`, and characters
 * XML 1.0 cannot carry (most C0 controls, U+FFFE/U+FFFF, lone surrogates) are dropped by the builder.
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

// Built once and reused: the serialiser's settings (two spaces per level, one element per line, `<name/>` for an
// empty one; Kayako installations have been parsing this layout since the first release) and the document that
// carries the XML declaration. Each answer is built under that document, serialised and removed again, which
// spares the builder merging its options with its defaults on every login (a third of its cost per answer).
// Rendering is synchronous, so two answers never share the document at the same time.
const PRETTY: XMLWriterOptions = { format: 'xml', prettyPrint: true };
// `invalidCharReplacement: ''` drops what XML 1.0 cannot carry instead of writing a document libxml refuses.
const DOCUMENT: XMLBuilder = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' });

export function renderUserSuccess(user: KayakoUser): string {
  return answer('1', (root) => {
    const node = root.ele('user');
    text(node, 'usergroup', user.usergroup);
    text(node, 'fullname', user.fullname);
    if (user.designation) text(node, 'designation', user.designation);
    if (user.organization) text(node, 'organization', user.organization);
    if (user.organizationtype) text(node, 'organizationtype', user.organizationtype);
    const emails = node.ele('emails');
    for (const email of user.emails) text(emails, 'email', email);
    if (user.phone) text(node, 'phone', user.phone);
  });
}

export function renderStaffSuccess(staff: KayakoStaff): string {
  return answer('1', (root) => {
    const node = root.ele('staff');
    for (const name of STAFF_ELEMENTS) text(node, name, staff[name]);
  });
}

/** `message` is shown verbatim on Kayako's login page. */
export function renderFailure(message: string): string {
  return answer('0', (root) => text(root, 'message', message));
}

/** `<loginshare><result>…</result>` and what `fill` adds, as the document's text (ending with a line break). */
function answer(result: '0' | '1', fill: (root: XMLBuilder) => void): string {
  const root = DOCUMENT.ele('loginshare');
  try {
    root.ele('result').txt(result);
    fill(root);
    return `${root.end(PRETTY)}\n`;
  } finally {
    root.remove();
  }
}

/** `<name>value</name>` under `parent`; an empty value serialises as `<name/>`. */
function text(parent: XMLBuilder, name: string, value: string): void {
  parent.ele(name).txt(builderText(value));
}

const AMPERSAND = /&/g;

/**
 * What to hand to `.txt()` so the document carries `value` exactly. The builder escapes `<` and `>` (so `]]>`
 * cannot appear), but leaves an `&` that starts something entity-like (`&nbsp;`, `&amp;`, `&#65;`) as it is, to
 * avoid double encoding: a display name with `&nbsp;` would give a document libxml refuses, and `&amp;` would
 * reach Kayako as `&`. Written as `&amp;` first, every `&` is entity-like and passes through as `&amp;`.
 */
function builderText(value: string): string {
  return value.includes('&') ? value.replace(AMPERSAND, '&amp;') : value;
}
