import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigFileError } from '../../src/config/file-errors.js';
import { evaluateRules, watchRulesFile, type RuleSet, type RulesWatcher } from '../../src/rules/index.js';
import { login } from './support.js';

const rulesFor = (group: string) =>
  `rules:\n  - name: r\n    audience: user\n    when: { groups: { any: [X] } }\n    set: { usergroup: ${group} }\n`;

const usergroupOf = (rules: RuleSet) => {
  const decision = evaluateRules(rules, login('user', { groups: ['X'] }));
  return decision.kind === 'allow' ? decision.profile.usergroup : undefined;
};

describe('watchRulesFile', () => {
  let dir: string;
  let watcher: RulesWatcher | undefined;
  const reloads: RuleSet[] = [];
  const errors: Error[] = [];
  const hooks = { onReload: (r: RuleSet) => reloads.push(r), onError: (e: Error) => errors.push(e) };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-watch-'));
    reloads.length = 0;
    errors.length = 0;
  });

  afterEach(async () => {
    watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('reloads a changed file, keeps the last good rules over a broken one, and recovers', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, rulesFor('Gold'));
    watcher = await watchRulesFile(file, hooks, 50);
    expect(usergroupOf(watcher.current())).toBe('Gold');

    await writeFile(file, rulesFor('Silver'));
    await vi.waitFor(() => expect(reloads).toHaveLength(1), { timeout: 3000 });
    expect(usergroupOf(watcher.current())).toBe('Silver');
    expect(reloads[0]).toBe(watcher.current());

    await writeFile(file, 'rules:\n  - name: r\n    when: { grups: [X] }\n    deny: no\n');
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 3000 });
    expect(errors[0]).toBeInstanceOf(ConfigFileError);
    expect(errors[0]?.message).toBe(`${file}:3:20 rules[0].when.grups: unknown key (expected one of: groups, claims, email_domain, interface, connector, realm)`);
    expect(usergroupOf(watcher.current())).toBe('Silver');

    // The same broken content is reported once, not on every poll.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors).toHaveLength(1);

    await writeFile(file, rulesFor('Bronze'));
    await vi.waitFor(() => expect(reloads).toHaveLength(2), { timeout: 3000 });
    expect(usergroupOf(watcher.current())).toBe('Bronze');
    expect(errors).toHaveLength(1);
  });

  it('does not report a file caught for a moment between truncation and write', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, rulesFor('Gold'));
    watcher = await watchRulesFile(file, hooks, 10);
    await writeFile(file, '');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeFile(file, rulesFor('Silver'));
    await vi.waitFor(() => expect(usergroupOf(watcher!.current())).toBe('Silver'), { timeout: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors).toEqual([]);
  });

  it('does not reload when the content is unchanged', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, rulesFor('Gold'));
    watcher = await watchRulesFile(file, hooks, 50);
    await writeFile(file, rulesFor('Gold'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reloads).toHaveLength(0);
  });

  it('keeps the last good rules when the file disappears', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, rulesFor('Gold'));
    watcher = await watchRulesFile(file, hooks, 50);
    await unlink(file);
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 3000 });
    expect(errors[0]?.message).toBe(`${file}: file not found`);
    expect(usergroupOf(watcher.current())).toBe('Gold');
    await writeFile(file, rulesFor('Silver'));
    await vi.waitFor(() => expect(usergroupOf(watcher!.current())).toBe('Silver'), { timeout: 3000 });
  });

  it('follows a Kubernetes ConfigMap update (the ..data symlink is swapped)', async () => {
    // The kubelet's layout: rules.yaml -> ..data/rules.yaml, ..data -> ..<timestamp>/, swapped by rename.
    await mkdir(join(dir, '..v1'));
    await writeFile(join(dir, '..v1', 'rules.yaml'), rulesFor('Gold'));
    await symlink('..v1', join(dir, '..data'));
    await symlink(join('..data', 'rules.yaml'), join(dir, 'rules.yaml'));
    watcher = await watchRulesFile(join(dir, 'rules.yaml'), hooks, 50);
    expect(usergroupOf(watcher.current())).toBe('Gold');

    await mkdir(join(dir, '..v2'));
    await writeFile(join(dir, '..v2', 'rules.yaml'), rulesFor('Silver'));
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, '..v1'), { recursive: true });

    await vi.waitFor(() => expect(usergroupOf(watcher!.current())).toBe('Silver'), { timeout: 3000 });
    expect(errors).toHaveLength(0);
  });

  it('refuses to start on a broken file: there are no last good rules yet', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, 'rules: nope\n');
    await expect(watchRulesFile(file, hooks, 50)).rejects.toBeInstanceOf(ConfigFileError);
  });

  it('stops after close()', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, rulesFor('Gold'));
    watcher = await watchRulesFile(file, hooks, 50);
    watcher.close();
    await writeFile(file, rulesFor('Silver'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reloads).toHaveLength(0);
    expect(usergroupOf(watcher.current())).toBe('Gold');
  });
});
