import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';

describe('schema/config.schema.json', () => {
  it('is the schema generated from the validating zod schemas', async () => {
    const generated = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    await expect(generated, 'schema/config.schema.json is out of date: regenerate it with `npm run schema` and commit it').toMatchFileSnapshot(
      '../../schema/config.schema.json',
    );
  });

  it('describes both connector types and rejects unknown top-level keys', () => {
    const schema = configJsonSchema() as { additionalProperties?: unknown; properties: Record<string, { items?: { anyOf?: Array<{ properties?: { type?: { const?: string } } }> } }> };
    expect(schema.additionalProperties).toBe(false);
    const types = schema.properties['connectors']?.items?.anyOf?.map((s) => s.properties?.type?.const);
    expect(types).toEqual(expect.arrayContaining(['local', 'oidc']));
  });
});
