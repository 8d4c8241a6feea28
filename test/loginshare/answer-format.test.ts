import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderFailure, renderStaffSuccess, renderUserSuccess, STAFF_ELEMENTS, type KayakoStaff, type KayakoUser } from '../../src/loginshare/answer.js';
import { judgeLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { childNamed, childrenNamed, loadSimpleXml, type SimpleXmlElement } from '../../src/probe/simplexml.js';

/**
 * Kayako installations have been parsing these exact bytes since the first release (declaration, two-space
 * indentation, one element per line, `<name/>` for an empty element, a final line break): the expected answers
 * are written out literally. Every other rendering is judged by parsers that share no code with the renderer:
 * the probe's simplexml (libxml's verdicts, checked against PHP) and fast-xml-parser.
 */

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';

describe('LoginShare XML answers keep their exact bytes', () => {
  it('a user answer with every field', () => {
    const xml = renderUserSuccess({
      usergroup: 'Registered',
      fullname: 'Jane Doe',
      designation: 'CEO',
      organization: 'Example Inc.',
      organizationtype: 'shared',
      emails: ['jane@example.com', 'j.doe@example.net'],
      phone: '+1 555 0100',
    });
    expect(xml).toBe(
      `${DECL}
<loginshare>
  <result>1</result>
  <user>
    <usergroup>Registered</usergroup>
    <fullname>Jane Doe</fullname>
    <designation>CEO</designation>
    <organization>Example Inc.</organization>
    <organizationtype>shared</organizationtype>
    <emails>
      <email>jane@example.com</email>
      <email>j.doe@example.net</email>
    </emails>
    <phone>+1 555 0100</phone>
  </user>
</loginshare>
`,
    );
  });

  it('a user answer without optional fields, an empty usergroup and no email', () => {
    expect(renderUserSuccess({ usergroup: '', fullname: 'A', emails: [], designation: '', phone: '' })).toBe(
      `${DECL}
<loginshare>
  <result>1</result>
  <user>
    <usergroup/>
    <fullname>A</fullname>
    <emails/>
  </user>
</loginshare>
`,
    );
  });

  it('a staff answer carries all seven elements in order, empty ones as <name/>', () => {
    const xml = renderStaffSuccess({ team: 'Support', firstname: 'Sam', lastname: '', designation: '', email: 's@x.com', mobilenumber: '', signature: 'Regards,\nSam' });
    expect(xml).toBe(
      `${DECL}
<loginshare>
  <result>1</result>
  <staff>
    <team>Support</team>
    <firstname>Sam</firstname>
    <lastname/>
    <designation/>
    <email>s@x.com</email>
    <mobilenumber/>
    <signature>Regards,
Sam</signature>
  </staff>
</loginshare>
`,
    );
  });

  it('failure answers, with a message and with an empty one', () => {
    expect(renderFailure('Invalid Username or Password')).toBe(
      `${DECL}
<loginshare>
  <result>0</result>
  <message>Invalid Username or Password</message>
</loginshare>
`,
    );
    expect(renderFailure('')).toBe(`${DECL}\n<loginshare>\n  <result>0</result>\n  <message/>\n</loginshare>\n`);
  });

  it('escapes & < > (and only those) in text', () => {
    expect(renderFailure(`R&D <Team> "quoted" 'apos' ]]>`)).toContain(`  <message>R&amp;D &lt;Team&gt; "quoted" 'apos' ]]&gt;</message>\n`);
  });

  it('writes every "&" as "&amp;", also where the text looks like an entity or character reference', () => {
    expect(renderFailure('Tom&nbsp;Jerry &foo; &amp; &#65; &#x41; & ;')).toContain(
      '  <message>Tom&amp;nbsp;Jerry &amp;foo; &amp;amp; &amp;#65; &amp;#x41; &amp; ;</message>\n',
    );
  });

  it('drops characters XML 1.0 cannot carry and keeps tab, line breaks and non-BMP characters', () => {
    expect(renderFailure('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg\uFFFEh\uFFFFi \uD800lone\uDC00 \t\r\n😀')).toContain(
      '  <message>abcdefghi lone \t\r\n😀</message>\n',
    );
  });
});

// The awkward values every field is fed; `expected` is what Kayako reads back, written independently of the
// renderer: characters XML 1.0 cannot carry gone, line ends normalised as every XML parser does.
const AWKWARD = [
  '',
  ' ',
  'plain',
  'R&D <Team> & "quotes" \'apos\'',
  ']]> and <![CDATA[x]]>',
  'Tom&nbsp;Jerry',
  'Fish &amp; Chips',
  '&#65; &#x41; &#0; &#xD800; &lt;&gt;&quot;&apos;',
  '&& &; &1; &a b;',
  'line\nbreak\r\nand\ttab\rCR',
  'bad\u0001 \u0008char\uFFFE lone \uD800 and \uDC00 surrogates \u0000\u001F\uFFFF',
  'swapped \uDC00\uD800 pair',
  '山田 太郎 — Ñoño Ørsted 😀 𝄞 \u{10FFFD}',
  '\u007F\u0085\u00A0\u2028 allowed',
  '<script>alert(1)</script>',
  '<?xml version="1.0"?><loginshare><result>1</result></loginshare>',
  '<!-- comment --> <!DOCTYPE x>',
  '  padded  ',
];

const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;
function expected(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(/\r\n?/g, '\n');
}

/** The document as libxml (simplexml) reads it; fails the test on a document libxml would refuse. */
function simplexml(xml: string): SimpleXmlElement {
  const loaded = loadSimpleXml(new TextEncoder().encode(xml));
  if (!loaded.ok) throw new Error(`libxml would refuse the answer: ${loaded.error}\n${xml}`);
  expect(loaded.document.root.name).toBe('loginshare');
  return loaded.document.root;
}

function child(parent: SimpleXmlElement, name: string): SimpleXmlElement {
  const found = childNamed(parent, name);
  if (!found) throw new Error(`no <${name}> in <${parent.name}>`);
  return found;
}

const fxp = new XMLParser({ parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: false });
/** The same document through fast-xml-parser, a second independent reader. */
function fastXml(xml: string): { loginshare: Record<string, unknown> } {
  expect(XMLValidator.validate(xml)).toBe(true);
  return fxp.parse(xml) as { loginshare: Record<string, unknown> };
}

describe('every answer is well-formed and carries its values exactly', () => {
  it('user answers, each field fed every awkward value', () => {
    for (const value of AWKWARD) {
      const user: KayakoUser = {
        usergroup: value,
        fullname: value || 'x',
        emails: [`a${value}@x.com`, value],
        designation: value,
        organization: value,
        organizationtype: 'shared',
        phone: value,
      };
      const root = simplexml(renderUserSuccess(user));
      expect(child(root, 'result').text).toBe('1');
      const node = child(root, 'user');
      for (const name of ['designation', 'organization', 'phone'] as const) {
        if (value) expect(child(node, name).text, name).toBe(expected(value));
        else expect(childNamed(node, name), name).toBeUndefined();
      }
      expect(child(node, 'usergroup').text).toBe(expected(value));
      expect(child(node, 'fullname').text).toBe(expected(value || 'x'));
      expect(childrenNamed(child(node, 'emails'), 'email').map((e) => e.text)).toEqual([expected(`a${value}@x.com`), expected(value)]);
    }
  });

  it('staff answers, each field fed every awkward value', () => {
    for (const value of AWKWARD) {
      const staff = Object.fromEntries(STAFF_ELEMENTS.map((name) => [name, value])) as unknown as KayakoStaff;
      const node = child(simplexml(renderStaffSuccess(staff)), 'staff');
      expect(node.children.map((e) => e.name)).toEqual([...STAFF_ELEMENTS]);
      for (const element of node.children) expect(element.text, element.name).toBe(expected(value));
    }
  });

  it('failure answers with every awkward message, read by both parsers', () => {
    for (const value of AWKWARD) {
      const xml = renderFailure(value);
      const root = simplexml(xml);
      expect(root.children.map((e) => e.name)).toEqual(['result', 'message']);
      expect(child(root, 'message').text).toBe(expected(value));
      expect(String(fastXml(xml).loginshare['message'] ?? '')).toBe(expected(value));
    }
  });

  it('Kayako takes a name containing "&nbsp;" or "&amp;" literally (the builder alone would have broken or changed it)', () => {
    const verdict = judgeLoginShareAnswer(
      renderUserSuccess({ usergroup: 'Registered', fullname: 'Tom&nbsp;Jerry &amp; Co', emails: ['tom@example.com'], organization: 'A&#x41;&#66;' }),
      'user',
      { userGroups: ['Registered'] },
    );
    expect(verdict).toMatchObject({ accepted: true, user: { fullname: 'Tom&nbsp;Jerry &amp; Co', organization: 'A&#x41;&#66;' } });
  });

  it('one answer does not leak into the next', () => {
    renderUserSuccess({ usergroup: 'Registered', fullname: 'First', emails: ['first@example.com'] });
    expect(() => renderStaffSuccess(undefined as unknown as KayakoStaff)).toThrow();
    const root = simplexml(renderFailure('second'));
    expect(root.children.map((e) => e.name)).toEqual(['result', 'message']);
    expect(renderFailure('second')).not.toContain('First');
  });
});
