import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { create } from 'xmlbuilder2';
import { renderFailure, renderStaffSuccess, renderUserSuccess, STAFF_ELEMENTS, xmlText, type KayakoStaff, type KayakoUser } from '../../src/loginshare/answer.js';

/**
 * The answers are rendered by hand for speed (docs/benchmarks.md). Kayako installations have been parsing the
 * xmlbuilder2 rendering, so the hand-written one must stay byte-for-byte the same: these references are the
 * previous implementation, fed awkward values — except text that looks like an entity reference, which the
 * builder passed through unescaped (last test).
 */
function referenceUser(user: KayakoUser): string {
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

function referenceStaff(staff: KayakoStaff): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('loginshare');
  root.ele('result').txt('1');
  const node = root.ele('staff');
  for (const name of STAFF_ELEMENTS) node.ele(name).txt(xmlText(staff[name]));
  return root.end({ prettyPrint: true }) + '\n';
}

function referenceFailure(message: string): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('loginshare');
  root.ele('result').txt('0');
  root.ele('message').txt(xmlText(message));
  return root.end({ prettyPrint: true }) + '\n';
}

const AWKWARD = [
  '',
  ' ',
  'plain',
  'R&D <Team> & "quotes" \'apos\'',
  ']]> and <![CDATA[x]]>',
  'line\nbreak\r\nand\ttab',
  'bad\u0001 \u0008char\uFFFE lone \uD800 and \uDC00 surrogates',
  '山田 太郎 — Ñoño Ørsted 😀',
  '<script>alert(1)</script>',
  '  padded  ',
];

describe('LoginShare XML answers keep their exact bytes', () => {
  it('user answers, with every optional field present or absent', () => {
    for (const value of AWKWARD) {
      for (const optional of [false, true]) {
        const user: KayakoUser = {
          usergroup: value,
          fullname: value || 'x',
          emails: optional ? [`a${value}@x.com`, 'b@x.com'] : [value],
          ...(optional ? { designation: value, organization: value, organizationtype: 'shared' as const, phone: value } : {}),
        };
        expect(renderUserSuccess(user)).toBe(referenceUser(user));
      }
    }
    const noEmail: KayakoUser = { usergroup: 'Registered', fullname: 'A', emails: [] };
    expect(renderUserSuccess(noEmail)).toBe(referenceUser(noEmail));
  });

  it('staff answers, with empty and awkward values', () => {
    for (const value of AWKWARD) {
      const staff: KayakoStaff = { team: value, firstname: value, lastname: '', designation: value, email: 'e@x.com', mobilenumber: '', signature: value };
      expect(renderStaffSuccess(staff)).toBe(referenceStaff(staff));
    }
  });

  it('failure answers', () => {
    for (const value of AWKWARD) expect(renderFailure(value)).toBe(referenceFailure(value));
  });

  it('escapes text that looks like an entity reference (the builder let "&nbsp;" through: libxml refuses the document)', () => {
    const name = 'Tom&nbsp;Jerry &foo; &amp; &#65;';
    const xml = renderFailure(name);
    expect(xml).toContain('<message>Tom&amp;nbsp;Jerry &amp;foo; &amp;amp; &amp;#65;</message>');
    const parsed = new XMLParser({ parseTagValue: false }).parse(xml) as { loginshare: { message: string } };
    expect(parsed.loginshare.message).toBe(name);
  });
});
