import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../src/cli/explain.js';
import { DEMO_CONFIG_PATH } from '../../src/cli/config-path.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { runCli } from '../support/cli-runner.js';

/** `explain` answers as the server would: the realm's staff.interfaces and allowAdmin, required flags, bad identity files. */
const DEMO_RULES = join(dirname(DEMO_CONFIG_PATH), 'rules.yaml');

async function scratch(files: Record<string, string>): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'lsb-explain-'));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    paths[name] = join(dir, name);
    await writeFile(paths[name], text);
  }
  return paths;
}

const ADA = JSON.stringify({ username: 'ada', emails: ['ada@example.com'], givenName: 'Ada', familyName: 'Admin', groups: ['Helpdesk-Admins'] });

describe('explain applies the realm as the server does', () => {
  it('refuses an interface the realm does not list, with the answer Kayako would get, and evaluates no rule', async () => {
    const { 'ada.json': identity } = await scratch({ 'ada.json': ADA });
    const { code, stdout } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'staff', '--interface', 'intranet', '--identity', identity!]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/realm demo refuses this login before any connector or rule: interface "intranet" not allowed \(see its staff\.interfaces and allowAdmin\)/);
    expect(stdout).not.toMatch(/MATCHED/);
    const xml = stdout.slice(stdout.indexOf('<?xml'));
    expect(readLoginShareAnswer(xml, 'staff')).toMatchObject({ accepted: false, kayakoMessage: 'Signing in to this part of the help desk with your company account is not allowed.' });
  });

  it('refuses the Admin CP when the realm does not allow it, and admits it where it does', async () => {
    const files = await scratch({
      'ada.json': ADA,
      'config.yaml': `connectors:
  - { id: local, type: local, users: [] }
realms:
  - id: corp
    secret: 0123456789abcdef0123
    rules: ${DEMO_RULES}
    staff: { interfaces: [staff, admin], allowAdmin: false }
    connectors: [{ use: local }]
`,
    });
    const refused = await runCli(runExplain, ['--config', files['config.yaml']!, '--audience', 'staff', '--interface', 'Admin', '--identity', files['ada.json']!]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/interface "admin" not allowed/);
    // The demo realm sets allowAdmin: true: the rules decide there.
    const admitted = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'staff', '--interface', 'admin', '--identity', files['ada.json']!]);
    expect(admitted.code).toBe(0);
    expect(admitted.stdout).toMatch(/MATCHED/);
  });

  it('refuses an audience the realm does not serve', async () => {
    const files = await scratch({
      'ada.json': ADA,
      'config.yaml': `connectors:
  - { id: local, type: local, users: [] }
realms:
  - id: staff-only
    secret: 0123456789abcdef0123
    rules: ${DEMO_RULES}
    audiences: { user: false, staff: true }
    connectors: [{ use: local }]
`,
    });
    const { code, stdout } = await runCli(runExplain, ['--config', files['config.yaml']!, '--audience', 'user', '--identity', files['ada.json']!]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/realm staff-only does not serve user logins/);
  });
});

describe('explain flags', () => {
  it('is an error without --audience, rather than a silent default', async () => {
    const { 'ada.json': identity } = await scratch({ 'ada.json': ADA });
    const { code, stderr } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--identity', identity!]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^explain: --audience user\|staff is required/);
  });

  it('is an error to explain a staff login without --interface', async () => {
    const { 'ada.json': identity } = await scratch({ 'ada.json': ADA });
    const { code, stderr } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'staff', '--identity', identity!]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^explain: --interface NAME is required with --audience staff/);
  });
});

describe('explain reports a bad identity file with its name and line', () => {
  it('names the file, line and field of a wrong value, in plain words', async () => {
    const { 'person.json': identity } = await scratch({ 'person.json': '{\n  "username": "ada",\n  "groups": "Helpdesk-Admins",\n  "emial": "ada@example.com"\n}\n' });
    const { code, stderr } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'user', '--identity', identity!]);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `${identity}:3:13 groups: must be a list (- item lines, or [a, b]), not "Helpdesk-Admins"`,
      `${identity}:4:12 emial: unknown key "emial" — did you mean "emails"?`,
    ]);
  });

  it('names the line of a JSON syntax error, and a file that is not there', async () => {
    const { 'broken.json': identity } = await scratch({ 'broken.json': '{\n  "username": "ada",\n  "groups": [\n}\n' });
    const broken = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'user', '--identity', identity!]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^${identity!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    const missing = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'user', '--identity', '/nonexistent/person.json']);
    expect(missing).toMatchObject({ code: 1, stderr: '/nonexistent/person.json: file not found\n' });
  });
});
