import { describe, expect, it } from 'vitest';
import { compileTemplate, renderTemplate, type CompiledTemplate } from '../../src/rules/template.js';
import { login } from './support.js';
import type { RuleInput } from '../../src/rules/index.js';

function compiled(source: string): CompiledTemplate {
  const result = compileTemplate(source);
  if ('error' in result) throw new Error(result.error);
  return result.template;
}

function render(source: string, input: RuleInput = login('user')): string {
  return renderTemplate(compiled(source), input);
}

describe('rendering', () => {
  const input = login(
    'staff',
    {
      username: 'jdoe',
      emails: ['john@example.com', 'jd@example.net'],
      givenName: 'John',
      familyName: 'Doe',
      displayName: 'John Doe',
      phone: '+49 30 1234',
      subject: 'abc-123',
      groups: ['/corp/support', 'Agents'],
      claims: { jobTitle: 'Engineer', address: { city: 'Berlin' }, roles: ['a', 'b'], level: 3, vip: true, 'https://x.io/team': 'Blue' },
      connectorId: 'corp',
    },
    { staffInterface: 'winapp', realmId: 'eu' },
  );

  it('substitutes identity fields, claims and list elements', () => {
    expect(render('{{ username }} <{{ email }}> {{emails.1}}', input)).toBe('jdoe <john@example.com> jd@example.net');
    expect(render('{{ givenName }} {{ familyName }} / {{ displayName }} / {{ phone }} / {{ subject }}', input)).toBe(
      'John Doe / John Doe / +49 30 1234 / abc-123',
    );
    expect(render('{{ claims.jobTitle }} in {{ claims.address.city }}', input)).toBe('Engineer in Berlin');
    expect(render('{{ groups.0 }}|{{ groups.1 }}|{{ groups.2 }}', input)).toBe('/corp/support|Agents|');
    expect(render('{{ connector }} {{ realm }} {{ interface }}', input)).toBe('corp eu winapp');
    expect(render('{{ claims.https://x.io/team }}', input)).toBe('Blue');
  });

  it('prints numbers and booleans as text and arrays as a comma-separated list', () => {
    expect(render('{{ claims.level }} {{ claims.vip }}', input)).toBe('3 true');
    expect(render('{{ claims.roles }}', input)).toBe('a, b');
    expect(render('{{ groups }}', input)).toBe('/corp/support, Agents');
  });

  it('renders a missing value, or an object, as empty', () => {
    expect(render('[{{ claims.nope }}][{{ claims.address }}][{{ phone }}]', login('user'))).toBe('[][][]');
  });

  it('uses the default filter when the value is missing or blank', () => {
    expect(render('{{ claims.nope | default "Agent" }}', input)).toBe('Agent');
    expect(render("{{ claims.jobTitle | default 'Agent' }}", input)).toBe('Engineer');
    expect(render('{{ claims.blank | default "Agent" }}', login('user', { claims: { blank: '  ' } }))).toBe('Agent');
  });

  it('leaves text outside {{ }} as it is, including a lone }}', () => {
    expect(render('plain }} text', input)).toBe('plain }} text');
  });

  it('inserts values verbatim: a value that looks like a template is not rendered again', () => {
    const tricky = login('user', { claims: { a: '{{ email }}' } });
    expect(render('{{ claims.a }}', tricky)).toBe('{{ email }}');
  });
});

describe('compile errors', () => {
  it.each([
    ['{{ usrname }}', 'unknown template variable "usrname"'],
    ['{{ claims }}', '"claims": name a claim, e.g. claims.department'],
    ['{{ username.first }}', 'unknown template variable "username.first"'],
    ['{{ groups.first }}', '"groups.first": use groups.0, groups.1 … to pick one'],
    ['{{ email', 'unclosed "{{" in template "{{ email"'],
    ['{{ email | upper }}', '"{{ email | upper }}": the only filter is default "text"'],
    ['{{ }}', '"{{  }}": expected a variable'],
    ['{{ process.exit() }}', 'unknown template variable "process.exit()"'],
  ])('%s is rejected', (source, message) => {
    const result = compileTemplate(source);
    expect('error' in result && result.error).toContain(message);
  });
});
