import { z } from 'zod';
import { isClosedObjectCatchall, rulesFileSchema } from './schema.js';

/**
 * The editor schema for rules files, generated from the same zod schema that validates them, so the two cannot
 * drift. Committed as schema/rules.schema.json (regenerate: `npm run schema`); YAML files refer to it with
 * `# yaml-language-server: $schema=…`. Draft-07, the draft YAML editors support best.
 */
export function rulesJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(rulesFileSchema, {
    target: 'draft-7',
    io: 'input',
    override: (ctx) => {
      const def = ctx.zodSchema._zod.def as { type: string; catchall?: unknown };
      if (def.type === 'object' && isClosedObjectCatchall(def.catchall)) ctx.jsonSchema.additionalProperties = false;
    },
  });
  return { ...schema, title: 'loginshare-bridge rules file' };
}
