import { z } from 'zod';
import { CONNECTOR_TYPES } from '../connectors/registry.js';
import { configSchema } from './schema.js';

/**
 * The editor schema for the config file, generated from the zod schemas that validate it (the connectors'
 * sections included), committed as schema/config.schema.json — regenerate with `npm run schema`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const connectorSchemas = Object.values(CONNECTOR_TYPES).map((t) => t.schema);
  const forEditors = configSchema.extend({
    connectors: z.array(z.union(connectorSchemas as [z.ZodType, z.ZodType, ...z.ZodType[]])).min(1),
  });
  const schema = z.toJSONSchema(forEditors, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
  return { ...schema, title: 'loginshare-bridge config file' };
}
