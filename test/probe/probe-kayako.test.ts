import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/cli/probe.js';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { runCli } from '../support/cli-runner.js';
import { KayakoEmulator } from '../support/kayako-emulator.js';

/**
 * `probe --kayako` against the project's Kayako emulator served over HTTP: the probe signs in through the
 * StaffAPI, the emulated Kayako calls the bridge's staff LoginShare URL, and the emulated account logic runs.
 */
let t: TestBridge;
let kayako: KayakoEmulator;
let staffApi: { baseUrl: string; close(): Promise<void> };
const SECRET = 'probe-kayako-secret-0123456789';
const PASSWORD = 'staff-password-123';

beforeAll(async () => {
  const hash = await hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 });
  t = await startTestBridge({
    rules: `defaults:\n  staff: { team: Support }\nrules:\n  - name: agents\n    audience: staff\n    when: { groups: { any: [Agents] } }\n    set: {}\n`,
    config: `
connectors:
  - id: accounts
    type: local
    users:
      - { username: sam, passwordHash: "${hash}", email: sam@corp.example, givenName: Sam, familyName: Support, groups: [Agents] }
      - { username: tina, passwordHash: "${hash}", email: tina@corp.example, givenName: Tina, familyName: Twofactor, groups: [Agents] }
      - { username: cleo, passwordHash: "${hash}", email: cleo@corp.example, givenName: Cleo, groups: [Customers] }
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: accounts }]
`,
  });
  kayako = new KayakoEmulator({
    staffLoginShareUrl: `${t.baseUrl}/loginshare/main/staff?key=${SECRET}`,
    teams: ['Support'],
    staff: [{ username: 'tina', team: 'Support', firstname: 'Tina', email: 'tina@corp.example', twoFactorKey: '424242' }],
    version: '4.99.1',
  });
  staffApi = await kayako.listenStaffApi();
});
afterAll(async () => {
  await staffApi?.close();
  await t?.stop();
});

const probe = (username: string, extra: string[] = [], stdin = `${PASSWORD}\n`) =>
  runCli(runProbe, ['--kayako', staffApi.baseUrl, '--username', username, '--password-stdin', ...extra], { stdin });

describe('probe --kayako', () => {
  it('signs in through Kayako\'s StaffAPI: the whole chain, and Kayako creates the staff account', async () => {
    const { code, stdout } = await probe('sam');
    expect(stdout).toContain('login: status 1 — signed in');
    expect(stdout).toMatch(/PASS: Kayako accepted the login through LoginShare \(staff id \d+, Kayako 4\.99\.1\)/);
    expect(code).toBe(0);
    expect(kayako.findStaff('sam')).toMatchObject({ firstname: 'Sam', email: 'sam@corp.example' });
    expect(kayako.calls.at(-1)?.fields).toMatchObject({ username: 'sam', interface: 'staffapi', password: '***' });
    expect(t.logLines.at(-1)).toMatchObject({ audience: 'staff', interface: 'staffapi', outcome: 'ok', username: 'sam' });
  });

  it('answers Kayako\'s two-factor round with the key from stdin', async () => {
    const { code, stdout } = await probe('tina', ['--twofactor-stdin'], `${PASSWORD}\n424242\n`);
    expect(stdout).toContain('login: status 2 — Kayako asks for a two-factor key');
    expect(stdout).toContain('two-factor key: status 1 — signed in');
    expect(code).toBe(0);
    expect(stdout).not.toContain('424242');
    expect(stdout).not.toContain(PASSWORD);
  });

  it('takes the key from an environment variable, and fails on a wrong one', async () => {
    const ok = await runCli(runProbe, ['--kayako', staffApi.baseUrl, '--username', 'tina', '--password-env', 'PW', '--twofactor-env', 'KEY'], { env: { PW: PASSWORD, KEY: '424242' } });
    expect(ok.code).toBe(0);
    const wrong = await runCli(runProbe, ['--kayako', staffApi.baseUrl, '--username', 'tina', '--password-env', 'PW', '--twofactor-env', 'KEY', '--json'], { env: { PW: PASSWORD, KEY: '000000' } });
    expect(wrong.code).toBe(1);
    const report = JSON.parse(wrong.stdout);
    expect(report).toMatchObject({ twoFactorAsked: true, signedIn: false });
    expect(report.rounds.map((r: { answer: { status: string } }) => r.answer.status)).toEqual(['2', '-1']);
  });

  it('says so when Kayako asks for a key and none can be given', async () => {
    const { code, stderr } = await probe('tina');
    expect(code).toBe(1);
    expect(stderr).toContain('Kayako asks for a two-factor key and none was given');
  });

  it('fails, pointing at the bridge\'s audit line, when the rules refuse the person', async () => {
    const { code, stdout } = await probe('cleo');
    expect(code).toBe(1);
    expect(stdout).toContain('login: status -1 — refused: "Invalid Username or Password"');
    expect(stdout).toContain('FAIL: Kayako did not sign the person in.');
    expect(t.logLines.at(-1)).toMatchObject({ username: 'cleo', outcome: 'denied' });
    expect(kayako.findStaff('cleo')).toBeUndefined();
  });

  it('recognises an address that is not a Kayako StaffAPI', async () => {
    const { code, stdout } = await runCli(runProbe, ['--kayako', `${staffApi.baseUrl}/not-kayako`, '--username', 'sam', '--password-stdin'], { stdin: PASSWORD });
    expect(code).toBe(1);
    expect(stdout).toContain('login: not a StaffAPI answer (root element <html>) (HTTP 404)');
  });

  it('says when Kayako does not answer at all', async () => {
    const { code, stdout } = await runCli(runProbe, ['--kayako', 'http://127.0.0.1:9', '--username', 'sam', '--password-stdin', '--timeout-ms', '3000'], { stdin: PASSWORD });
    expect(code).toBe(1);
    expect(stdout).toContain('login: no answer: ECONNREFUSED');
  });

  it('refuses a password on the command line and a missing URL', async () => {
    expect((await runCli(runProbe, ['--kayako', 'ftp://x', '--username', 'a', '--password-stdin'], { stdin: 'x' })).code).toBe(2);
    await expect(runCli(runProbe, ['--kayako', staffApi.baseUrl, '--username', 'a', '--password', 'x'])).rejects.toThrow(/Unknown option/);
  });
});
