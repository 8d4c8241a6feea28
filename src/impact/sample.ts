import { z } from 'zod';
import { ConfigFileError, formatFieldPath, splitUnknownKeys, type FileIssue } from '../config/file-errors.js';
import { parseYamlSource, readOperatorFile, validateYaml } from '../config/yaml-file.js';
import type { IdentityLogEntry } from '../identity-log/identity-log.js';

/**
 * A sample of identities for `loginshare-bridge diff`: what the identity log exports (JSON Lines), or a file the
 * operator writes — JSON Lines, or a YAML / JSON list of the same entries.
 */
const sampleEntrySchema = z
  .object({
    time: z.string().optional(),
    realm: z.string().min(1).optional(),
    audience: z.enum(['user', 'staff']).default('user'),
    interface: z.string().min(1).optional(),
    connector: z.string().min(1).default('sample'),
    subject: z.string().min(1).optional(),
    username: z.string().min(1),
    emails: z.array(z.string()).default([]),
    groups: z.array(z.string()).default([]),
    claims: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const sampleListSchema = z.array(sampleEntrySchema);

/** One person of a sample: an identity-log entry as the rules see it; the realm optional, no time. */
export type SampleIdentity = Omit<IdentityLogEntry, 'time' | 'realm'> & { realm?: string };

export async function loadIdentitySample(path: string): Promise<SampleIdentity[]> {
  return parseIdentitySample(await readOperatorFile(path), path);
}

/** JSON Lines when the first non-blank character opens an object; otherwise a YAML (or JSON) list. */
export function parseIdentitySample(text: string, file: string): SampleIdentity[] {
  if (text.trimStart().startsWith('{')) return parseJsonLines(text, file);
  const source = parseYamlSource(text, file);
  return validateYaml(source, sampleListSchema).map(toSample);
}

export function parseJsonLines(text: string, file: string): SampleIdentity[] {
  const issues: FileIssue[] = [];
  const entries: SampleIdentity[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (err) {
      issues.push({ file, line: index + 1, column: 1, field: '', message: `not JSON: ${(err as Error).message}` });
      return;
    }
    const parsed = sampleEntrySchema.safeParse(data);
    if (parsed.success) entries.push(toSample(parsed.data));
    else {
      for (const issue of parsed.error.issues) {
        for (const { path, message } of splitUnknownKeys({ ...issue, path: issue.path as PropertyKey[] })) {
          issues.push({ file, line: index + 1, column: 1, field: formatFieldPath(path), message });
        }
      }
    }
  });
  if (issues.length > 0) throw new ConfigFileError(issues);
  return entries;
}

function toSample(entry: z.output<typeof sampleEntrySchema>): SampleIdentity {
  return {
    ...(entry.realm !== undefined ? { realm: entry.realm } : {}),
    audience: entry.audience,
    ...(entry.interface !== undefined ? { interface: entry.interface.toLowerCase() } : {}),
    connector: entry.connector,
    subject: entry.subject ?? entry.username,
    username: entry.username,
    emails: entry.emails,
    groups: entry.groups,
    claims: entry.claims,
  };
}
