import { describe, expect, it } from 'vitest';
import { rulesJsonSchema } from '../../src/rules/index.js';

describe('schema/rules.schema.json', () => {
  it('is the schema generated from the validating zod schema', async () => {
    const generated = `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`;
    await expect(generated, 'schema/rules.schema.json is out of date: regenerate it with `npm run schema` and commit it').toMatchFileSnapshot(
      '../../schema/rules.schema.json',
    );
  });

  it('closes every object, so editors flag misspelt keys as the loader does', () => {
    const schema = rulesJsonSchema() as { additionalProperties?: unknown; properties: Record<string, { items?: { additionalProperties?: unknown; properties?: Record<string, { additionalProperties?: unknown }> } }> };
    expect(schema.additionalProperties).toBe(false);
    const rule = schema.properties['rules']?.items;
    expect(rule?.additionalProperties).toBe(false);
    expect(rule?.properties?.['when']?.additionalProperties).toBe(false);
    expect(rule?.properties?.['set']?.additionalProperties).toBe(false);
  });
});
