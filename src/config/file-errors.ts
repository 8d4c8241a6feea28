/**
 * Errors in files operators edit (config, rules) name the file, the line and the field, because the person
 * reading them has a text editor open, not a debugger.
 */
export interface FileIssue {
  file: string;
  /** 1-based; 0 when the problem is the file as a whole (missing, unreadable, empty). */
  line: number;
  column: number;
  /** Dotted path of the offending field, e.g. `rules[2].when.groups.any`; empty for the whole file. */
  field: string;
  message: string;
}

export class ConfigFileError extends Error {
  readonly code = 'ERR_CONFIG_FILE';
  constructor(readonly issues: FileIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigFileError';
  }
}

export function formatIssue(issue: FileIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.field ? `${where} ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** As the person reads the file: top to bottom, whole-file problems first; issues on one spot keep their order. */
export function inFileOrder(issues: readonly FileIssue[]): FileIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * zod reports unknown keys at the enclosing object; operators need the line of the misspelt key itself, so
 * one issue per key, with the key in the path.
 */
export function splitUnknownKeys(issue: { code?: string; path: PropertyKey[]; message: string; keys?: string[] }): Array<{ path: PropertyKey[]; message: string }> {
  if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown key "${key}"` }));
  }
  return [{ path: issue.path, message: issue.message }];
}
