import { access, constants } from 'node:fs/promises';
import { ConfigFileError, formatFieldPath, type FileIssue } from './file-errors.js';
import type { BridgeConfig } from './load-config.js';
import { readYamlSource } from './yaml-file.js';

/**
 * Every realm's rules file must be readable before the bridge starts. A missing one is said at the realm's
 * `rules:` line of the config file, so the operator sees which realm names it, not only a path.
 */
export async function assertRulesFilesReadable(config: BridgeConfig): Promise<void> {
  const issues = await unreadableRulesFiles(config);
  if (issues.length > 0) throw new ConfigFileError(issues.map((i) => i.issue));
}

/** The realms' rules files that cannot be read, each as an issue at its `rules:` line. */
export async function unreadableRulesFiles(config: BridgeConfig): Promise<Array<{ rulesPath: string; issue: FileIssue }>> {
  const unreadable: Array<{ index: number; path: string; code: string | undefined }> = [];
  for (const [index, realm] of config.realms.entries()) {
    try {
      await access(realm.rulesPath, constants.R_OK);
    } catch (err) {
      unreadable.push({ index, path: realm.rulesPath, code: (err as NodeJS.ErrnoException).code });
    }
  }
  if (unreadable.length === 0) return [];
  const source = await readYamlSource(config.file);
  return unreadable.map(({ index, path, code }) => {
    const at = ['realms', index, 'rules'];
    const reason = code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? 'unknown error'})`;
    const issue: FileIssue = {
      file: config.file,
      ...source.locate(at),
      field: formatFieldPath(at),
      message: `rules file ${path} ${reason} (a relative path is taken from the config file's folder)`,
    };
    return { rulesPath: path, issue };
  });
}
