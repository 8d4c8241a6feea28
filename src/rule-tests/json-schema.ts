import { z } from 'zod';
import { isClosedObjectCatchall } from '../rules/schema.js';
import { ruleTestFileSchema } from './schema.js';

/**
 * The editor schema for rule-test files, generated from the validating zod schema like the rules schema;
 * committed as schema/rule-tests.schema.json (regenerate with `npm run schema`).
 */
export function ruleTestsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ruleTestFileSchema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const def = ctx.zodSchema._zod.def as { type: string; catchall?: unknown };
      if (def.type === 'object' && isClosedObjectCatchall(def.catchall)) ctx.jsonSchema.additionalProperties = false;
    },
  });
  return { ...schema, title: 'loginshare-bridge rule tests' };
}
