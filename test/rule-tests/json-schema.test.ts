import { describe, expect, it } from 'vitest';
import { ruleTestsJsonSchema } from '../../src/rule-tests/index.js';

describe('schema/rule-tests.schema.json', () => {
  it('is the schema generated from the validating zod schema', async () => {
    const generated = `${JSON.stringify(ruleTestsJsonSchema(), null, 2)}\n`;
    await expect(generated, 'schema/rule-tests.schema.json is out of date: regenerate it with `npm run schema` and commit it').toMatchFileSnapshot(
      '../../schema/rule-tests.schema.json',
    );
  });

  it('closes the objects, so editors flag misspelt keys as the loader does', () => {
    const schema = ruleTestsJsonSchema() as { additionalProperties?: unknown; properties: Record<string, { items?: { additionalProperties?: unknown; properties?: Record<string, { additionalProperties?: unknown }> } }> };
    expect(schema.additionalProperties).toBe(false);
    const testCase = schema.properties['cases']?.items;
    expect(testCase?.additionalProperties).toBe(false);
    expect(testCase?.properties?.['identity']?.additionalProperties).toBe(false);
    expect(testCase?.properties?.['expect']?.additionalProperties).toBe(false);
  });
});
