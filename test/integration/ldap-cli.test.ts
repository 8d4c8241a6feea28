import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExplain } from '../../src/cli/explain.js';
import { runProbe } from '../../src/cli/probe.js';
import { runCli } from '../support/cli-runner.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { LDAP_PEOPLE_DN, LDAP_USERS } from '../support/ldap-fixture.js';
import { serverInfo } from '../support/require-server.js';

/** `explain --login` and `probe` with an LDAP connector behind the realm, against the real slapd. */
const slapd = serverInfo('slapd');
const SECRET = 'kayako-caller-secret-for-cli-test';
const RULES = `
defaults:
  user: { usergroup: Registered }
  staff: { team: General }
unmatched: { user: default, staff: default }
rules:
  - name: helpdesk-staff
    audience: staff
    when: { groups: { any: [Corp] } }
    set: { team: Helpdesk }
  - name: enterprise
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise }
`;
const config = () => `
connectors:
  - id: corp-ldap
    type: ldap
    directory: openldap
    urls: [${slapd!.url}]
    tls: { startTls: true, ca: ${JSON.stringify(slapd!.caPem)} }
    serviceAccount: { dn: "${slapd!.bindDn}", password: "\${LDAP_BIND_PASSWORD}" }
    userSearch: { base: "${LDAP_PEOPLE_DN}" }
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: corp-ldap }]
`;

describe.skipIf(slapd === undefined)('CLI with an LDAP connector', () => {
  let dir: string;
  let bridge: TestBridge;
  const env = () => ({ LDAP_BIND_PASSWORD: slapd!.bindPassword });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsb-ldap-cli-'));
    await writeFile(join(dir, 'config.yaml'), config());
    await writeFile(join(dir, 'rules.yaml'), RULES);
    bridge = await startTestBridge({ config: config(), rules: RULES, env: env() });
  }, 60_000);
  afterAll(async () => {
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('explain --login logs in through the directory and shows the rule the nested group matched', async () => {
    const { code, stdout } = await runCli(runExplain, ['--config', join(dir, 'config.yaml'), '--audience', 'staff', '--interface', 'staff', '--login', 'bob-agent', '--password-stdin'], {
      stdin: LDAP_USERS.bobAgent.password,
      env: env(),
    });
    expect(code).toBe(0);
    expect(stdout).toContain('connector corp-ldap: ok');
    expect(stdout).toMatch(/groups: .*Corp/);
    expect(stdout).toMatch(/helpdesk-staff \(line \d+\): MATCHED/);
    expect(stdout).toContain('<team>Helpdesk</team>');
    expect(stdout).not.toContain(LDAP_USERS.bobAgent.password);
  });

  it('explain --login reports a wrong password and a name the directory does not have', async () => {
    const wrong = await runCli(runExplain, ['--config', join(dir, 'config.yaml'), '--audience', 'user', '--login', 'alice', '--password-stdin'], { stdin: 'wrong', env: env() });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('connector corp-ldap: invalid_credentials');
    const unknown = await runCli(runExplain, ['--config', join(dir, 'config.yaml'), '--audience', 'user', '--login', 'nobody-here', '--password-stdin'], { stdin: 'x', env: env() });
    expect(unknown.stdout).toContain('no connector of realm main knows the username "nobody-here"');
  });

  it('probe, acting as Kayako against the bridge, says the directory user would be let in to the right usergroup', async () => {
    const { code, stdout } = await runCli(
      runProbe,
      ['--url', `${bridge.baseUrl}/loginshare/main/user?key=${SECRET}`, '--username', 'alice', '--password-env', 'PROBE_PASSWORD', '--usergroups', 'Registered,Enterprise', '--json'],
      { env: { PROBE_PASSWORD: LDAP_USERS.alice.password } },
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { verdict: { accepted: boolean } };
    expect(report.verdict.accepted).toBe(true);
    expect(stdout).toContain('Enterprise');
    expect(stdout).not.toContain(LDAP_USERS.alice.password);
  });
});
