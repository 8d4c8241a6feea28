import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderFailure, renderStaffSuccess, renderUserSuccess, STAFF_ELEMENTS } from '../../src/loginshare/answer.js';

const parser = new XMLParser({ parseTagValue: false, trimValues: true });
function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml) as { loginshare: Record<string, unknown> };
}

describe('LoginShare XML answers', () => {
  it('starts with a UTF-8 XML declaration and nothing before it (Kayako fails on a BOM or junk)', () => {
    const xml = renderFailure('Invalid Username or Password');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  });

  it('escapes & < > in every value so simplexml can parse it', () => {
    const xml = renderUserSuccess({
      usergroup: 'R&D <Team>',
      fullname: `O'Brien & "Sons" <script>`,
      emails: ['a@example.com'],
      organization: 'A & B > C',
    });
    expect(xml).not.toMatch(/R&D/);
    const user = parse(xml).loginshare['user'] as Record<string, unknown>;
    expect(user['usergroup']).toBe('R&D <Team>');
    expect(user['fullname']).toBe(`O'Brien & "Sons" <script>`);
    expect(user['organization']).toBe('A & B > C');
  });

  it('drops characters XML 1.0 cannot carry instead of producing a document libxml refuses', () => {
    const xml = renderFailure('bad\u0001 \u0008char\uFFFE and lone \uD800 surrogate');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(parse(xml).loginshare['message']).toBe('bad char and lone  surrogate');
  });

  it('keeps non-Latin names intact', () => {
    const xml = renderUserSuccess({ usergroup: 'Registered', fullname: '山田 太郎 — Ñoño Ørsted', emails: ['taro@example.jp'] });
    expect((parse(xml).loginshare['user'] as Record<string, unknown>)['fullname']).toBe('山田 太郎 — Ñoño Ørsted');
  });

  it('lists every email, primary first, and omits optional nodes that are empty', () => {
    const xml = renderUserSuccess({ usergroup: 'Registered', fullname: 'A', emails: ['p@x.com', 's@x.com'] });
    const user = parse(xml).loginshare['user'] as Record<string, unknown>;
    expect((user['emails'] as { email: string[] }).email).toEqual(['p@x.com', 's@x.com']);
    expect(xml).not.toContain('<designation');
    expect(xml).not.toContain('<phone');
    expect(parse(xml).loginshare['result']).toBe('1');
  });

  it('always sends all seven staff nodes, even empty ones (Kayako rejects a staff answer missing any)', () => {
    const xml = renderStaffSuccess({ team: 'Support', firstname: 'Sam', lastname: '', designation: '', email: 's@x.com', mobilenumber: '', signature: '' });
    const staff = parse(xml).loginshare['staff'] as Record<string, unknown>;
    for (const name of STAFF_ELEMENTS) expect(staff).toHaveProperty(name);
    expect(staff['team']).toBe('Support');
  });

  it('failure packets carry result 0 and the message verbatim', () => {
    const root = parse(renderFailure('Invalid Username or Password')).loginshare;
    expect(root['result']).toBe('0');
    expect(root['message']).toBe('Invalid Username or Password');
  });
});
