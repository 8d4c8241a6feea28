import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectServers } from './server-selection.js';

// Built at run time, so this file's own source does not ask for the servers it writes about.
const ask = (helper: string, server: string, quote = "'") => `${helper}(${quote}${server}${quote}`;

describe('which real servers a test run starts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsb-selection-'));
    await writeFile(join(dir, 'unit.test.ts'), `import { x } from './plain.js';\nit('adds', () => {});\n`);
    await writeFile(join(dir, 'plain.ts'), `export const x = 1;\n`);
    await writeFile(join(dir, 'ldap.test.ts'), `${ask('describeWithServer', 'slapd')}, 'directory', (ldap) => {});\n`);
    await writeFile(join(dir, 'e2e.test.ts'), `import { startBridge } from './bridge-helper.js';\n`);
    await writeFile(join(dir, 'bridge-helper.ts'), `const kc = ${ask("serverInfo<'keycloak'>", 'keycloak')});\n${ask('requireServer', '\n  ', '')}"redis", ctx);\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const files = (...names: string[]) => async () => names.map((name) => join(dir, name));

  it('starts all of them for a full run', async () => {
    expect((await selectServers({ setting: undefined, filters: undefined, selectedTestFiles: files() })).selected).toEqual(['redis', 'slapd', 'keycloak', 'chromium']);
  });

  it('starts none for unit tests picked by a filter', async () => {
    const selection = await selectServers({ setting: undefined, filters: ['test/unit'], selectedTestFiles: files('unit.test.ts') });
    expect(selection.selected).toEqual([]);
    expect(selection.notSelected.keycloak).toMatch(/no selected test file asks for it/);
  });

  it('starts what the selected files ask for, directly or through a helper they import', async () => {
    const selection = await selectServers({ setting: undefined, filters: ['test/x'], selectedTestFiles: files('ldap.test.ts', 'e2e.test.ts') });
    expect(selection.selected).toEqual(['redis', 'slapd', 'keycloak']);
    const ldapOnly = await selectServers({ setting: undefined, filters: ['test/x'], selectedTestFiles: files('ldap.test.ts') });
    expect(ldapOnly.selected).toEqual(['slapd']);
  });

  it('lets LSB_TEST_SERVERS override both', async () => {
    const none = await selectServers({ setting: 'none', filters: undefined, selectedTestFiles: files() });
    expect(none.selected).toEqual([]);
    expect(none.notSelected.redis).toBe('not selected by LSB_TEST_SERVERS=none');
    expect((await selectServers({ setting: ' Keycloak , redis', filters: ['x'], selectedTestFiles: files('unit.test.ts') })).selected).toEqual(['redis', 'keycloak']);
    expect((await selectServers({ setting: 'all', filters: ['x'], selectedTestFiles: files() })).selected).toHaveLength(4);
  });

  it('rejects an unknown server name instead of silently starting nothing', async () => {
    await expect(selectServers({ setting: 'redis,postgres', filters: undefined, selectedTestFiles: files() })).rejects.toThrow(/unknown server\(s\) postgres/);
  });
});
