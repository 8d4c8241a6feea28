import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_PATH } from '../../src/cli/config-path.js';
import { runExplain } from '../../src/cli/explain.js';
import { runCli } from '../support/cli-runner.js';

describe('explain applies the realm\'s account settings', () => {
  it('shows only the emails the realm\'s linking policy lets through', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-explain-acct-'));
    const file = join(dir, 'erin.json');
    await writeFile(file, JSON.stringify({ username: 'erin', emails: ['erin@bigcorp.example'], aliasEmails: ['erin@freemail.example', 'erin.e@bigcorp.example'], groups: ['Enterprise'], displayName: 'Erin' }));
    const { code, stdout } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'user', '--identity', file]);
    expect(code).toBe(0);
    expect(stdout).toContain('<email>erin@bigcorp.example</email>');
    expect(stdout).toContain('<email>erin.e@bigcorp.example</email>');
    expect(stdout).not.toContain('freemail');
  });

  it('shows the refusal of a staff username typed in the wrong form', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-explain-acct-'));
    await writeFile(join(dir, 'rules.yaml'), 'defaults:\n  staff: { team: Support }\nunmatched: { staff: default }\nrules: []\n');
    await writeFile(join(dir, 'config.yaml'), `connectors:\n  - { id: a, type: local, users: [] }\nrealms:\n  - id: r\n    secret: "${'x'.repeat(16)}"\n    rules: rules.yaml\n    connectors: [{ use: a }]\n    staff: { usernameForm: local-part }\n`);
    await writeFile(join(dir, 'jdoe.json'), JSON.stringify({ username: 'jdoe@corp.example', emails: ['jdoe@corp.example'], displayName: 'J Doe' }));
    const args = ['--config', join(dir, 'config.yaml'), '--audience', 'staff', '--interface', 'staff', '--identity', join(dir, 'jdoe.json')];
    const refused = await runCli(runExplain, args);
    expect(refused.stdout).toContain('refused by the realm\'s account settings before the rules (staff_username_form');
    expect(refused.stdout).toContain('<message>Please sign in with the username jdoe, so that you keep a single staff account.</message>');
    const ok = await runCli(runExplain, [...args, '--typed', 'jdoe']);
    expect(ok.stdout).toContain('<team>Support</team>');
  });
});
