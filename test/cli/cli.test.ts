import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { DEMO_CONFIG_PATH } from '../../src/cli/config-path.js';
import { runExplain } from '../../src/cli/explain.js';
import { runHashPassword } from '../../src/cli/hash-password.js';
import { runServe } from '../../src/cli/serve.js';
import { verifyPassword } from '../../src/connectors/local/password-hash.js';
import { runCli } from '../support/cli-runner.js';

describe('hash-password', () => {
  it('hashes a password read from stdin, never from argv', async () => {
    const { code, stdout } = await runCli(runHashPassword, ['--password-stdin'], { stdin: 'correct horse battery staple\n' });
    expect(code).toBe(0);
    expect(await verifyPassword('correct horse battery staple', stdout.trim())).toBe(true);
  });

  it('reads from a named environment variable', async () => {
    const { code, stdout } = await runCli(runHashPassword, ['--password-env', 'BG_PW'], { env: { BG_PW: 'break-glass-password' } });
    expect(code).toBe(0);
    expect(await verifyPassword('break-glass-password', stdout.trim())).toBe(true);
  });

  it('refuses an empty password and a password given as an argument', async () => {
    expect((await runCli(runHashPassword, ['--password-stdin'], { stdin: '' })).code).toBe(2);
    await expect(runCli(runHashPassword, ['--password', 'x'])).rejects.toThrow(/Unknown option/);
  });
});

describe('check', () => {
  it('accepts the demo config and its rules', async () => {
    const { code, stdout } = await runCli(runCheck, ['--config', DEMO_CONFIG_PATH]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok\s+.*config\.yaml/m);
    expect(stdout).toMatch(/^ok\s+.*rules\.yaml \(\d+ rules, version [0-9a-f]{12}\)/m);
  });

  it('names file, line and field of each problem and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-check-'));
    await writeFile(join(dir, 'rules.yaml'), 'rules:\n  - name: x\n    when: { groups: { any: [A] } }\n    set: { usergrup: B }\n');
    const { code, stderr } = await runCli(runCheck, ['--rules', join(dir, 'rules.yaml')]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'rules.yaml')}:4:`);
    expect(stderr).toMatch(/usergrup/);
  });
});

describe('explain', () => {
  it('shows the matching rule and the exact XML for an identity file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-explain-'));
    const identity = join(dir, 'erin.json');
    await writeFile(identity, JSON.stringify({ username: 'erin', emails: ['erin@bigcorp.example'], groups: ['Enterprise'], claims: { organization: 'BigCorp' }, displayName: 'Erin E' }));
    const { code, stdout } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'user', '--identity', identity]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/enterprise-customers \(line \d+\): MATCHED/);
    expect(stdout).toContain('<usergroup>Enterprise</usergroup>');
    expect(stdout).toContain('<organization>BigCorp</organization>');
  });

  it('runs a live login through the realm\'s connectors (password from stdin)', async () => {
    const { code, stdout } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'staff', '--interface', 'admin', '--login', 'sam', '--password-stdin'], {
      stdin: 'sam-demo-password',
    });
    expect(code).toBe(0);
    expect(stdout).toContain('connector demo-accounts: ok');
    expect(stdout).toMatch(/admin-cp-denied \(line \d+\): MATCHED/);
    expect(stdout).toContain('<result>0</result>');
    expect(stdout).not.toContain('sam-demo-password');
  });

  it('says when no connector of the realm knows the username', async () => {
    const { code, stdout } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'user', '--login', 'nobody-here', '--password-stdin'], { stdin: 'x' });
    expect(code).toBe(1);
    expect(stdout).toContain('no connector of realm demo knows the username "nobody-here"');
  });

  it('reports a failed live login without evaluating rules', async () => {
    const { code, stdout } = await runCli(runExplain, ['--config', DEMO_CONFIG_PATH, '--audience', 'user', '--login', 'sam', '--password-stdin'], { stdin: 'wrong' });
    expect(code).toBe(1);
    expect(stdout).toContain('invalid_credentials');
  });
});

describe('serve', () => {
  it('refuses to start on an invalid config, saying where the problem is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-serve-'));
    await writeFile(join(dir, 'config.yaml'), 'connectors:\n  - id: a\n    type: local\nrealms:\n  - id: r\n    secret: ${MISSING_SECRET}\n    rules: rules.yaml\n    connectors: [{ use: a }]\n');
    const { code, stderr } = await runCli(runServe, ['--config', join(dir, 'config.yaml')]);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot start, the configuration is invalid');
    expect(stderr).toContain(`${join(dir, 'config.yaml')}:6:13 realms[0].secret: environment variable MISSING_SECRET is not set`);
  });

  it('says which config key to change when its port is taken by another process', async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const { code, stderr } = await runCli(runServe, [], { env: { LOGINSHARE_PORT: String(port), LOGINSHARE_OPS_PORT: '0' } });
      expect(code).toBe(1);
      expect(stderr).toContain(`server.host 127.0.0.1, server.port ${port}: 127.0.0.1:${port} is already in use by another process (EADDRINUSE); change server.port or server.host in the config, or LOGINSHARE_HOST / LOGINSHARE_PORT`);
    } finally {
      taken.close();
    }
  });

  it('refuses to start when a realm names a rules file that is not there, at that realm\'s rules: line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-serve-'));
    await writeFile(join(dir, 'config.yaml'), MISSING_RULES_CONFIG);
    await writeFile(join(dir, 'rules.yaml'), 'rules: []\n');
    const { code, stderr } = await runCli(runServe, ['--config', join(dir, 'config.yaml')], { env: {} });
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'config.yaml')}:12:12 realms[1].rules: rules file ${join(dir, 'missing.yaml')} not found`);
    expect(stderr).not.toContain('realms[0].rules');
  });
});

/** Two realms: the first's rules file exists, the second's (line 12) does not. */
const MISSING_RULES_CONFIG = `connectors:
  - id: a
    type: local
realms:
  - id: r
    secret: ${'s'.repeat(16)}
    rules: rules.yaml
    connectors: [{ use: a }]
  - id: q
    secret: ${'s'.repeat(16)}
    connectors: [{ use: a }]
    rules: missing.yaml
`;

describe('check: a realm whose rules file is missing', () => {
  it('names the config line of that realm and still checks the other rules files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-check-'));
    await writeFile(join(dir, 'config.yaml'), MISSING_RULES_CONFIG);
    await writeFile(join(dir, 'rules.yaml'), 'rules:\n  - name: x\n    when: { groups: { any: [A] } }\n    set: { usergrup: B }\n');
    const { code, stderr } = await runCli(runCheck, ['--config', join(dir, 'config.yaml')], { env: {} });
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'config.yaml')}:12:12 realms[1].rules: rules file ${join(dir, 'missing.yaml')} not found`);
    expect(stderr).toContain(`${join(dir, 'rules.yaml')}:4:`);
  });
});

describe('check: rules that name connectors or realms the config does not define', () => {
  it('reports the rule line (a typo would otherwise silently never match)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsb-refs-'));
    await writeFile(join(dir, 'config.yaml'), `connectors:\n  - id: corp\n    type: local\nrealms:\n  - id: main\n    secret: "${'s'.repeat(20)}"\n    rules: rules.yaml\n    connectors: [{ use: corp }]\n`);
    await writeFile(join(dir, 'rules.yaml'), 'rules:\n  - name: via-crop\n    audience: user\n    when: { connector: [crop] }\n    set: { usergroup: X }\n');
    const { code, stderr } = await runCli(runCheck, ['--config', join(dir, 'config.yaml')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`${join(dir, 'rules.yaml')}:4:\\d+ .*unknown connector "crop" \\(the config file defines: corp\\)`));
  });
});
