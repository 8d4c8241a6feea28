import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runRuleTestFiles, totals } from '../../src/rule-tests/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every rule-test file shipped beside example rules (examples/, providers/). */
function shippedTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.test.yaml')) found.push(path);
    }
  };
  walk(join(ROOT, 'examples'));
  walk(join(ROOT, 'providers'));
  return found.sort();
}

describe('shipped rule tests', () => {
  const files = shippedTestFiles();

  it('include the demo realm\'s', () => {
    expect(files.map((f) => relative(ROOT, f))).toContain('examples/demo/rules.test.yaml');
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s passes against its rules file', async (_name, file) => {
    const [result] = await runRuleTestFiles([file]);
    expect(result && 'error' in result ? result.error : '').toBe('');
    const t = totals([result!]);
    expect(t.cases).toBeGreaterThan(0);
    expect(t.failed).toBe(0);
  });
});
