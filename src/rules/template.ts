import { lookupClaimPath, splitPath } from './claim-path.js';
import type { RuleInput } from './rule-input.js';

/**
 * `{{ variable }}` and `{{ variable | default "text" }}` in profile values. Variables are looked up, never
 * evaluated: a template cannot run code. A missing value renders as the empty string.
 */
export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly read: (input: RuleInput) => unknown; readonly fallback: string };

type Reader = (input: RuleInput) => unknown;

const SCALAR_VARIABLES: Record<string, Reader> = {
  username: (i) => i.identity.username,
  email: (i) => i.identity.emails[0],
  givenName: (i) => i.identity.givenName,
  familyName: (i) => i.identity.familyName,
  displayName: (i) => i.identity.displayName,
  phone: (i) => i.identity.phone,
  subject: (i) => i.identity.subject,
  connector: (i) => i.identity.connectorId,
  realm: (i) => i.realmId,
  interface: (i) => i.staffInterface,
};

const LIST_VARIABLES: Record<string, Reader> = {
  groups: (i) => i.identity.groups,
  emails: (i) => i.identity.emails,
};

export const TEMPLATE_VARIABLES = [
  ...Object.keys(SCALAR_VARIABLES),
  ...Object.keys(LIST_VARIABLES).map((name) => `${name}.<n>`),
  'claims.<name>',
].join(', ');

const EXPRESSION = /^([^\s|{}]+)\s*(?:\|\s*default\s+(?:"([^"]*)"|'([^']*)'))?$/;

export function compileTemplate(source: string): { template: CompiledTemplate } | { error: string } {
  const parts: TemplatePart[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      parts.push({ kind: 'text', text: rest });
      break;
    }
    if (open > 0) parts.push({ kind: 'text', text: rest.slice(0, open) });
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) return { error: `unclosed "{{" in template "${source}"` };
    const expression = rest.slice(open + 2, close).trim();
    const value = compileExpression(expression);
    if ('error' in value) return value;
    parts.push(value.part);
    rest = rest.slice(close + 2);
  }
  return { template: { source, parts } };
}

export function literalTemplate(text: string): CompiledTemplate {
  return { source: text, parts: [{ kind: 'text', text }] };
}

function compileExpression(expression: string): { part: TemplatePart } | { error: string } {
  const match = EXPRESSION.exec(expression);
  if (!match) {
    return {
      error: expression.includes('|')
        ? `"{{ ${expression} }}": the only filter is default "text"`
        : `"{{ ${expression} }}": expected a variable, one of ${TEMPLATE_VARIABLES}`,
    };
  }
  const [, path = '', doubleQuoted, singleQuoted] = match;
  const read = compileVariable(path);
  if (typeof read === 'string') return { error: read };
  return { part: { kind: 'value', read, fallback: doubleQuoted ?? singleQuoted ?? '' } };
}

/** A reader for the variable, or why the variable is not one. */
function compileVariable(path: string): Reader | string {
  const [root = '', ...rest] = splitPath(path);
  const unknown = `unknown template variable "${path}"; expected one of ${TEMPLATE_VARIABLES}`;
  const scalar = SCALAR_VARIABLES[root];
  if (scalar) return rest.length === 0 ? scalar : unknown;
  const list = LIST_VARIABLES[root];
  if (list) {
    if (rest.length === 0) return list;
    const [index] = rest;
    if (rest.length !== 1 || !/^\d+$/.test(index ?? '')) return `"${path}": use ${root}.0, ${root}.1 … to pick one`;
    return (input) => (list(input) as readonly unknown[])[Number(index)];
  }
  if (root === 'claims') {
    if (rest.length === 0 || rest.some((segment) => segment === '')) return `"${path}": name a claim, e.g. claims.department`;
    return (input) => lookupClaimPath(input.identity.claims, rest);
  }
  return unknown;
}

export function renderTemplate(template: CompiledTemplate, input: RuleInput): string {
  let out = '';
  for (const part of template.parts) {
    if (part.kind === 'text') out += part.text;
    else {
      const value = displayValue(part.read(input));
      out += value.trim() === '' ? part.fallback : value;
    }
  }
  return out;
}

/** Strings, numbers and booleans print as themselves, arrays as their printable elements joined by ", ". */
export function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(displayValue).filter((s) => s !== '').join(', ');
  return '';
}
