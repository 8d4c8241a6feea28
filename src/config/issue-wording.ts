import type { z } from 'zod';

/**
 * zod's issues in the project's own words, for people editing a YAML file: what the key needs, what it has, and
 * for a misspelt key or value the nearest one that exists ("did you mean"). A message the schema wrote itself
 * (a refinement, a regex with its own explanation) is kept as it is.
 */
export interface SchemaIssue {
  code?: string;
  path: PropertyKey[];
  message: string;
  expected?: unknown;
  keys?: string[];
  values?: unknown[];
  origin?: string;
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: boolean;
  format?: string;
  pattern?: string;
  discriminator?: string;
  options?: unknown[];
}

/** zod's own English messages; anything else was written by the schema and is kept. */
const ZOD_DEFAULT = /^(Invalid input|Invalid option|Invalid (string|URL|discriminator|value|key|element)|Too (small|big)|Unrecognized key)/;

/**
 * One issue per offending key, worded. `data` is what was validated (to say what a key holds) and `schema` what
 * it was validated against (to find the keys and values that exist).
 */
export function wordIssues(
  issue: SchemaIssue,
  data: unknown,
  schema: z.ZodType,
  describe: (value: unknown) => string = describeValue,
): Array<{ path: PropertyKey[]; message: string }> {
  if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
    const known = knownKeysAt(schema, issue.path, data);
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: unknownKey(key, known) }));
  }
  return [{ path: issue.path, message: wordIssue(issue, valueAt(data, issue.path), describe) }];
}

function unknownKey(key: string, known: string[]): string {
  const near = closest(key, known);
  if (near) return `unknown key "${key}" — did you mean "${near}"?`;
  return known.length > 0 && known.length <= 12 ? `unknown key "${key}" (known here: ${known.join(', ')})` : `unknown key "${key}"`;
}

/** `describe` says what a key holds; a secret's value is never repeated (see load-config's environment overrides). */
export function wordIssue(issue: SchemaIssue, received: unknown, describe: (value: unknown) => string = describeValue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (received === undefined) return `is required: give ${expectedThing(issue.expected)}`;
      return `must be ${expectedThing(issue.expected)}, not ${describe(received)}`;
    case 'invalid_value': {
      const values = (issue.values ?? []).map((v) => String(v));
      const near = typeof received === 'string' ? closest(received, values) : undefined;
      const hint = near ? ` — did you mean "${near}"?` : '';
      return `${received === undefined ? 'is required' : `cannot be ${describe(received)}`}: use one of ${values.join(', ')}${hint}`;
    }
    case 'invalid_union':
      if (issue.discriminator) {
        const values = (issue.options ?? []).map((v) => String(v));
        const near = typeof received === 'string' ? closest(received, values) : undefined;
        const what = received === undefined ? 'is required' : `cannot be ${describe(received)}`;
        return `${what}: use one of ${values.join(', ')}${near ? ` — did you mean "${near}"?` : ''}`;
      }
      return `does not have any of the forms allowed here (${describe(received)})`;
    case 'too_small':
      return bound('at least', issue.origin, issue.minimum, issue.inclusive !== false);
    case 'too_big':
      return bound('at most', issue.origin, issue.maximum, issue.inclusive !== false);
    case 'invalid_format':
      if (issue.format === 'url') return `must be a URL such as https://idp.example.com, not ${describe(received)}`;
      if (issue.format === 'email') return `must be an email address, not ${describe(received)}`;
      if (issue.format === 'regex') return `${describe(received)} does not have the form this key takes (${issue.pattern ?? 'a pattern'})`;
      return `must be ${issue.format ?? 'in another format'}, not ${describe(received)}`;
    default:
      return `is not valid here (${describe(received)})`;
  }
}

function bound(word: 'at least' | 'at most', origin: string | undefined, limit: unknown, inclusive: boolean): string {
  const n = Number(limit);
  switch (origin) {
    case 'string':
      if (word === 'at least' && n === 1) return 'must not be empty';
      return `must be ${word} ${n} characters long`;
    case 'array':
      if (word === 'at least' && n === 1) return 'needs at least one entry';
      return `needs ${word} ${n} entries`;
    case 'number':
    case 'int':
      return inclusive ? `must be ${word} ${n}` : `must be ${word === 'at least' ? 'more' : 'less'} than ${n}`;
    default:
      return `must be ${word} ${n}`;
  }
}

function expectedThing(expected: unknown): string {
  switch (expected) {
    case 'string':
      return 'a text value';
    case 'number':
    case 'int':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list (- item lines, or [a, b])';
    case 'object':
      return 'a mapping (key: value lines)';
    default:
      return String(expected);
  }
}

/** What a key holds, as the person wrote it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return value === '' ? 'an empty text' : `"${value.length > 60 ? `${value.slice(0, 57)}…` : value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

/** What `data` holds at `path`, or undefined where the path leaves it. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Through defaults, optionals, pipes and lazies to the schema that has the shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  for (let i = 0; i < 20; i++) {
    const def = defOf(schema);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined) ?? (def.type === 'lazy' ? def.getter?.() : undefined);
    if (!next) return schema;
    schema = next;
  }
  return schema;
}

/** The object schemas `schema` may be for `data` (a union's options whose discriminator matches). */
function objectsOf(schema: z.ZodType, data: unknown): SchemaDef[] {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return [def];
  if (def.type === 'union' && def.options) {
    const options = def.options.flatMap((o) => objectsOf(o, data));
    const tag = def.discriminator;
    if (tag && data !== null && typeof data === 'object') {
      const value = (data as Record<string, unknown>)[tag];
      const matching = options.filter((o) => {
        const field = o.shape?.[tag];
        const literal = field ? (defOf(unwrap(field)) as { values?: unknown[] }).values : undefined;
        return literal?.includes(value);
      });
      if (matching.length > 0) return matching;
    }
    return options;
  }
  return [];
}

/** The keys the schema allows at `path` (for "did you mean"). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  let current: z.ZodType[] = [schema];
  let node = data;
  for (const key of path) {
    const next: z.ZodType[] = [];
    for (const s of current) {
      const def = defOf(unwrap(s));
      if (typeof key === 'number' && def.type === 'array' && def.element) next.push(def.element);
      else if (def.type === 'record' && def.valueType) next.push(def.valueType);
      else for (const object of objectsOf(s, node)) if (object.shape?.[String(key)]) next.push(object.shape[String(key)]!);
    }
    current = next;
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return [...new Set(current.flatMap((s) => objectsOf(s, node).flatMap((o) => Object.keys(o.shape ?? {}))))];
}

/** The nearest candidate within a small edit distance, or one that differs only in case. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  return bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions (a typo swaps two letters as often as it drops one). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
