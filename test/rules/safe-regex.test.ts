import { describe, expect, it } from 'vitest';
import { compileRulePattern, hasNestedRepetition } from '../../src/rules/safe-regex.js';

describe('hasNestedRepetition', () => {
  it.each(['(a+)+', '(a*)*b', '(\\w+\\s?)*$', '((ab)+c)+', '(?:x+){2,}', '(a+){1,5}', '(?<n>a+)+', '([a-z]+\\.)+'])(
    'flags %s',
    (pattern) => expect(hasNestedRepetition(pattern)).toBe(true),
  );

  it.each(['a+b+', '(ab)+', '(a|b)*', '(a+)?', '(a+){1}', '[(a+)]+', '\\(a+\\)+', '(?:x)+y*', '^Senior .*$', '(a+)b+'])(
    'accepts %s',
    (pattern) => expect(hasNestedRepetition(pattern)).toBe(false),
  );
});

describe('compileRulePattern', () => {
  it('anchors the pattern to the whole value, alternations included', () => {
    const compiled = compileRulePattern('adm|ops', false);
    if ('error' in compiled) throw new Error(compiled.error);
    expect(compiled.regex.test('ops')).toBe(true);
    expect(compiled.regex.test('devops')).toBe(false);
    expect(compiled.regex.test('admin')).toBe(false);
  });

  it('does not let an unbalanced ")" escape the anchoring', () => {
    expect(compileRulePattern('x)|(.*', false)).toMatchObject({ error: expect.stringContaining('invalid regex') });
  });

  it('rejects nested repetition before it can run', () => {
    expect(compileRulePattern('(a+)+$', false)).toMatchObject({ error: expect.stringContaining('exponential') });
  });
});
