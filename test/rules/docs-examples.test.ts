import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/index.js';

/** Every complete rules file shown in the rules reference loads: an example that does not is worse than none. */
const DOC = fileURLToPath(new URL('../../docs/rules.md', import.meta.url));
const blocks = [...readFileSync(DOC, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((text) => /^rules:/m.test(text));

describe('docs/rules.md examples', () => {
  it('has examples for every identity provider it describes', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(blocks.map((text, i) => [i, text]))('example %i loads as a rules file', (_i, text) => {
    expect(() => parseRules(text, 'docs/rules.md')).not.toThrow();
  });
});
