import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SERVER_NAMES, type ServerName } from './test-servers.js';

/**
 * Which real servers a run starts, and why the others are not running.
 *
 * 1. LSB_TEST_SERVERS, when set, decides: `all`, `none`, or a comma list (`redis,slapd`).
 * 2. Otherwise, when vitest was given file filters (`npx vitest run test/rules`), only the servers the
 *    selected test files ask for: a call `serverInfo('x')`, `requireServer('x', …)` or
 *    `describeWithServer('x', …)` in the file or in a module it imports by relative path. A unit-test run
 *    then does not wait for Keycloak.
 * 3. Otherwise (a full run, as CI does): all of them.
 */
export interface ServerSelection {
  selected: ServerName[];
  /** Reason per server not selected. */
  notSelected: Partial<Record<ServerName, string>>;
}

export async function selectServers(options: {
  setting: string | undefined;
  /** The CLI file filters, undefined for a full run. */
  filters: readonly string[] | undefined;
  /** The test files those filters select. */
  selectedTestFiles: () => Promise<string[]>;
}): Promise<ServerSelection> {
  if (options.setting !== undefined && options.setting.trim() !== '') {
    const selected = parseSetting(options.setting);
    return { selected, notSelected: reasons(selected, `not selected by LSB_TEST_SERVERS=${options.setting}`) };
  }
  if (options.filters === undefined || options.filters.length === 0) return { selected: [...SERVER_NAMES], notSelected: {} };
  const needed = new Set<ServerName>();
  const seen = new Set<string>();
  for (const file of await options.selectedTestFiles()) await collectNeeds(file, needed, seen);
  const selected = SERVER_NAMES.filter((name) => needed.has(name));
  return { selected, notSelected: reasons(selected, 'no selected test file asks for it (set LSB_TEST_SERVERS to start it anyway)') };
}

function parseSetting(setting: string): ServerName[] {
  const value = setting.trim().toLowerCase();
  if (value === 'all') return [...SERVER_NAMES];
  if (value === 'none') return [];
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(SERVER_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`LSB_TEST_SERVERS: unknown server(s) ${unknown.join(', ')}; use all, none or a list of ${SERVER_NAMES.join(', ')}`);
  }
  return SERVER_NAMES.filter((name) => names.includes(name));
}

function reasons(selected: ServerName[], why: string): Partial<Record<ServerName, string>> {
  return Object.fromEntries(SERVER_NAMES.filter((name) => !selected.includes(name)).map((name) => [name, why]));
}

const SERVER_REQUEST = /\b(?:serverInfo|requireServer|describeWithServer)\s*(?:<[^>()]*>)?\s*\(\s*['"](redis|slapd|keycloak|chromium)['"]/g;
const RELATIVE_IMPORT = /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

async function collectNeeds(file: string, needed: Set<ServerName>, seen: Set<string>): Promise<void> {
  if (seen.has(file)) return;
  seen.add(file);
  const source = await readFile(file, 'utf8').catch(() => undefined);
  if (source === undefined) return;
  for (const match of source.matchAll(SERVER_REQUEST)) needed.add(match[1] as ServerName);
  for (const match of source.matchAll(RELATIVE_IMPORT)) {
    const specifier = match[1] ?? match[2];
    // Only TypeScript sources under test/ and src/ can ask for servers; .js specifiers name .ts files.
    if (specifier !== undefined && /\.(?:js|ts)$/.test(specifier)) {
      await collectNeeds(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')), needed, seen);
    }
  }
}
