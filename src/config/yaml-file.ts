import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigFileError, formatFieldPath, inFileOrder, type FileIssue } from './file-errors.js';
import { wordIssues } from './issue-wording.js';

/** A YAML document kept with its source positions, so validation errors can point at a line. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** Line and column (1-based) of the node at `path`, or of its nearest existing parent. */
  locate(path: ReadonlyArray<PropertyKey>): { line: number; column: number };
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: firstLine(e.message) };
      }),
    );
  }
  const locate = (path: ReadonlyArray<PropertyKey>) => {
    let node: unknown = doc.contents;
    let offset = rangeStart(doc.contents as YamlNode | null) ?? 0;
    for (const key of path) {
      const child = childNode(node, key);
      if (child === undefined) break;
      node = child.value;
      offset = child.offset;
    }
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { file, data: doc.toJS({ maxAliasCount: 100 }), locate };
}

/** An operator's file as text; a file that cannot be read is a ConfigFileError naming it, as a bad line would be. */
export async function readOperatorFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigFileError([{ file: path, line: 0, column: 0, field: '', message: reason }]);
  }
}

export async function readYamlSource(path: string): Promise<YamlSource> {
  return parseYamlSource(await readOperatorFile(path), path);
}

/** Validates a parsed YAML document; every zod issue becomes a `file:line:col field: message`. */
export function validateYaml<S extends z.ZodType>(source: YamlSource, schema: S): z.output<S> {
  const result = schema.safeParse(source.data);
  if (result.success) return result.data;
  const issues: FileIssue[] = result.error.issues.flatMap((issue) =>
    wordIssues({ ...issue, path: issue.path as PropertyKey[] }, source.data, schema).map(({ path, message }) => ({
      file: source.file,
      ...source.locate(path),
      field: formatFieldPath(path),
      message,
    })),
  );
  throw new ConfigFileError(inFileOrder(issues));
}

function childNode(node: unknown, key: PropertyKey): { value: unknown; offset: number } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      const name = k && 'value' in k ? (k as { value: unknown }).value : k;
      if (String(name) === String(key)) {
        const value = pair.value as YamlNode | null;
        // A block mapping or list starts on the line after its key: the key's line is where the person looks.
        const block = (isMap(value) || isSeq(value)) && !(value as { flow?: boolean }).flow;
        return { value, offset: (block ? rangeStart(k) : undefined) ?? rangeStart(value) ?? rangeStart(k) ?? 0 };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof key === 'number') {
    const value = node.items[key] as YamlNode | undefined;
    if (value === undefined) return undefined;
    return { value, offset: rangeStart(value) ?? 0 };
  }
  return undefined;
}

function rangeStart(node: YamlNode | null | undefined): number | undefined {
  return node && node.range ? node.range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
