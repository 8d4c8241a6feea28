import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { runTestRules, watchRuleTests } from '../../src/cli/test-rules.js';
import { runCli } from '../support/cli-runner.js';

const DEMO_TESTS = fileURLToPath(new URL('../../examples/demo/rules.test.yaml', import.meta.url));

const RULES = `rules:
  - name: contractors-denied
    when: { groups: { any: [Contractors] } }
    deny: "Contractors use the partner portal"
  - name: support-staff
    audience: staff
    when: { groups: { any: [Helpdesk-Agents] } }
    set: { team: Support }
  - name: enterprise
    audience: user
    when: { email_domain: [bigcorp.example] }
    set: { usergroup: Enterprise }
`;

async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lsb-ruletests-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('loginshare-bridge test', () => {
  it('passes the demo realm\'s example cases', async () => {
    const { code, stdout, stderr } = await runCli(runTestRules, [DEMO_TESTS]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/\n9 passed, 0 failed\n$/);
    expect(code).toBe(0);
  });

  it('shows what differs for a wrong usergroup, where the case is, which rule decided, and exits 1', async () => {
    const dir = await workspace({
      'rules.yaml': RULES,
      'cases.yaml': `rules: rules.yaml
cases:
  - name: bigcorp customer
    identity: { emails: [pat@bigcorp.example] }
    expect: { usergroup: Enterprise }
  - name: contractor on bigcorp mail
    identity: { emails: [c@bigcorp.example], groups: [Contractors] }
    expect: { usergroup: Enterprise }
  - name: agent
    audience: staff
    identity: { groups: [helpdesk-agents] }
    expect: { team: Tier-2 }
`,
    });
    const { code, stdout } = await runCli(runTestRules, [join(dir, 'cases.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toContain('  ok   bigcorp customer');
    expect(stdout).toContain(`FAIL contractor on bigcorp mail  (${join(dir, 'cases.yaml')}:6, user login)`);
    expect(stdout).toMatch(/decision:\n\s+- expected ALLOW\n\s+\+ got\s+DENY "Contractors use the partner portal" \(rule contractors-denied\)/);
    expect(stdout).toMatch(/team:\n\s+- expected "Tier-2"\n\s+\+ got\s+"Support"/);
    expect(stdout).toMatch(/decided: ALLOW \(rule support-staff\) at line 5 of /);
    expect(stdout).toMatch(/1 passed, 2 failed\n$/);
  });

  it('with --explain lists why each rule did not match', async () => {
    const dir = await workspace({
      'rules.yaml': RULES,
      'cases.yaml': 'rules: rules.yaml\ncases:\n  - name: x\n    identity: { emails: [x@small.example] }\n    expect: { usergroup: Enterprise }\n',
    });
    const { code, stdout } = await runCli(runTestRules, ['--explain', join(dir, 'cases.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/enterprise \(line 9\): no match\n\s+when\.email_domain: .*small\.example/);
    expect(stdout).toMatch(/usergroup:\n\s+- expected "Enterprise"\n\s+\+ got\s+"Registered"/);
  });

  it('checks deny messages, the deciding rule and fields that must not be sent', async () => {
    const dir = await workspace({
      'rules.yaml': RULES,
      'cases.yaml': `rules: rules.yaml
cases:
  - name: wrong message
    identity: { groups: [Contractors] }
    expect: { deny: "Go away" }
  - name: wrong rule
    identity: { emails: [a@bigcorp.example] }
    expect: { rule: null }
  - name: field sent
    identity: { emails: [a@bigcorp.example] }
    expect: { usergroup: null }
  - name: any denial
    identity: { groups: [Contractors] }
    expect: { deny: true }
`,
    });
    const { code, stdout } = await runCli(runTestRules, [join(dir, 'cases.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/message:\n\s+- expected "Go away"\n\s+\+ got\s+"Contractors use the partner portal"/);
    expect(stdout).toMatch(/rule:\n\s+- expected \(no rule: unmatched\)\n\s+\+ got\s+enterprise/);
    expect(stdout).toMatch(/usergroup:\n\s+- expected \(not sent\)\n\s+\+ got\s+"Enterprise"/);
    expect(stdout).toContain('  ok   any denial');
  });

  it('--rules tests the cases against another rules file (the proposed change)', async () => {
    const dir = await workspace({
      'rules.yaml': RULES,
      'proposed.yaml': RULES.replace('team: Support', 'team: Tier-1'),
      'cases.yaml': 'rules: rules.yaml\ncases:\n  - name: agent\n    audience: staff\n    identity: { groups: [Helpdesk-Agents] }\n    expect: { team: Support }\n',
    });
    expect((await runCli(runTestRules, [join(dir, 'cases.yaml')])).code).toBe(0);
    const { code, stdout } = await runCli(runTestRules, ['--rules', join(dir, 'proposed.yaml'), join(dir, 'cases.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toContain('"Tier-1"');
  });

  it('names file, line and key of mistakes in a test file, and still runs the other files', async () => {
    const dir = await workspace({
      'rules.yaml': RULES,
      'bad.yaml': `rules: rules.yaml
cases:
  - name: typo
    identity: { grups: [A] }
    expect: { usergroup: X }
  - name: staff field on a user login
    expect: { team: Support }
  - name: typo
    audience: staff
    expect: { deny: true, team: Support }
`,
      'good.yaml': 'rules: rules.yaml\ncases:\n  - name: ok\n    expect: { usergroup: Registered }\n',
    });
    const bad = join(dir, 'bad.yaml');
    const { code, stdout } = await runCli(runTestRules, [bad, join(dir, 'good.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${bad}:4:24 cases[0].identity.grups: unknown key`);
    const second = await runCli(runTestRules, [bad.replace('bad', 'bad2')]);
    expect(second.stdout).toMatch(/bad2\.yaml: file not found/);
    await writeFile(bad, (await readFile(bad, 'utf8')).replace('grups', 'groups'));
    const again = await runCli(runTestRules, [bad]);
    expect(again.stdout).toContain(`${bad}:7:21 cases[1].expect.team: a user answer has no team`);
    expect(again.stdout).toContain(`${bad}:8:11 cases[2].name: duplicate case name (also cases[0])`);
    expect(again.stdout).toContain(`${bad}:10:33 cases[2].expect.team: a denied login has no profile`);
    expect(stdout).toContain('  ok   ok');
    expect(stdout).toMatch(/1 passed, 0 failed, 1 file with errors/);
  });

  it('says which rules file is missing', async () => {
    const dir = await workspace({ 'cases.yaml': 'cases:\n  - name: a\n    expect: {}\n' });
    const { code, stdout } = await runCli(runTestRules, [join(dir, 'cases.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toContain('rules: no rules file: add "rules: <path>" to the file or pass --rules FILE');
  });

  it('writes a JUnit report CI can read', async () => {
    const dir = await workspace({
      'rules.yaml': RULES,
      'cases.yaml': 'rules: rules.yaml\ncases:\n  - name: passes\n    expect: { usergroup: Registered }\n  - name: fails <&>\n    expect: { usergroup: VIP }\n',
      'broken.yaml': 'cases: [',
    });
    const junit = join(dir, 'report.xml');
    const { code } = await runCli(runTestRules, ['--junit', junit, join(dir, 'cases.yaml'), join(dir, 'broken.yaml')]);
    expect(code).toBe(1);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(await readFile(junit, 'utf8'));
    expect(doc.testsuites).toMatchObject({ tests: '3', failures: '1', errors: '1' });
    const [cases, broken] = doc.testsuites.testsuite;
    expect(cases).toMatchObject({ name: join(dir, 'cases.yaml'), tests: '2', failures: '1' });
    expect(cases.testcase[0]).toMatchObject({ name: 'passes', line: '3' });
    expect(cases.testcase[0].failure).toBeUndefined();
    expect(cases.testcase[1].name).toBe('fails <&>');
    expect(cases.testcase[1].failure.message).toBe('usergroup: expected "VIP", got "Registered"');
    expect(broken.testcase.error.message).toMatch(/broken\.yaml:1:/);
  });

  it('--watch runs again when the rules file changes', async () => {
    const dir = await workspace({
      'rules.yaml': RULES,
      'cases.yaml': 'rules: rules.yaml\ncases:\n  - name: agent\n    audience: staff\n    identity: { groups: [Helpdesk-Agents] }\n    expect: { team: Support }\n',
    });
    let stdout = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, stdin: process.stdin, env: {} };
    const stop = new AbortController();
    const watching = watchRuleTests({ files: [join(dir, 'cases.yaml')] }, io, stop.signal);
    await expect.poll(() => stdout, { timeout: 10_000 }).toContain('1 passed, 0 failed');
    await writeFile(join(dir, 'rules.yaml'), RULES.replace('team: Support', 'team: Tier-1'));
    await expect.poll(() => stdout, { timeout: 15_000, interval: 100 }).toContain('0 passed, 1 failed');
    stop.abort();
    await watching;
  }, 30_000);
});
