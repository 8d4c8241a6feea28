import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiff } from '../../src/cli/diff.js';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { runCli } from '../support/cli-runner.js';

const OLD = `defaults:
  user: { usergroup: Registered }
unmatched: { staff: deny }
rules:
  - name: agents
    audience: staff
    when: { groups: { any: [Helpdesk-Agents] } }
    set: { team: Support }
  - name: enterprise
    audience: user
    when: { email_domain: [bigcorp.example] }
    set: { usergroup: Enterprise }
`;
// The change under review: enterprise by group instead of domain, and contractors denied.
const NEW = `defaults:
  user: { usergroup: Registered }
unmatched: { staff: deny }
rules:
  - name: contractors
    when: { groups: { any: [Contractors] } }
    deny: Contractors use the partner portal
  - name: agents
    audience: staff
    when: { groups: { any: [Helpdesk-Agents] } }
    set: { team: Support }
  - name: enterprise
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise }
`;

const SAMPLE = [
  { username: 'erin', emails: ['erin@bigcorp.example'], groups: [] },
  { username: 'ed', emails: ['ed@other.example'], groups: ['Enterprise'] },
  { username: 'carl', audience: 'staff', emails: ['carl@corp.example'], groups: ['Helpdesk-Agents', 'Contractors'] },
  { username: 'alice', emails: ['alice@example.com'], groups: [] },
].map((e) => JSON.stringify(e)).join('\n');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsb-diff-'));
  await writeFile(join(dir, 'old.yaml'), OLD);
  await writeFile(join(dir, 'new.yaml'), NEW);
  await writeFile(join(dir, 'sample.jsonl'), `${SAMPLE}\n`);
});

describe('loginshare-bridge diff', () => {
  it('lists who would change usergroup or be denied, as a table', async () => {
    const { code, stdout } = await runCli(runDiff, [join(dir, 'old.yaml'), join(dir, 'new.yaml'), '--identities', join(dir, 'sample.jsonl')]);
    expect(code).toBe(0);
    expect(stdout).toContain('3 of 4 identities would get a different answer (2 usergroup changes, 1 newly denied)');
    expect(stdout).toMatch(/^erin\s+user\s+usergroup "Enterprise" → "Registered"\s+enterprise → \(unmatched\)$/m);
    expect(stdout).toMatch(/^ed\s+user\s+usergroup "Registered" → "Enterprise"/m);
    expect(stdout).toMatch(/^carl\s+staff\s+now DENIED: "Contractors use the partner portal"\s+agents → contractors$/m);
    expect(stdout).not.toMatch(/^alice/m);
    const all = await runCli(runDiff, [join(dir, 'old.yaml'), join(dir, 'new.yaml'), '--identities', join(dir, 'sample.jsonl'), '--all']);
    expect(all.stdout).toMatch(/^alice\s+user\s+unchanged/m);
  });

  it('gives the same as JSON, and exits 1 with --fail-on-change', async () => {
    const { code, stdout } = await runCli(runDiff, [join(dir, 'old.yaml'), join(dir, 'new.yaml'), '--identities', join(dir, 'sample.jsonl'), '--json', '--fail-on-change']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.total).toBe(4);
    expect(report.unchanged).toBe(1);
    expect(report.changed.map((e: { identity: { username: string }; change: { kind: string } }) => [e.identity.username, e.change.kind])).toEqual([
      ['erin', 'profile'],
      ['ed', 'profile'],
      ['carl', 'now-denied'],
    ]);
    expect(report.changed[0].change.fields).toEqual([{ field: 'usergroup', was: 'Enterprise', now: 'Registered' }]);
    expect((await runCli(runDiff, [join(dir, 'old.yaml'), join(dir, 'old.yaml'), '--identities', join(dir, 'sample.jsonl'), '--fail-on-change'])).code).toBe(0);
  });

  it('reads a YAML sample the operator writes, and names file and line of a bad entry', async () => {
    await writeFile(join(dir, 'sample.yaml'), '- { username: ed, groups: [Enterprise] }\n- { username: x, grups: [A] }\n');
    const bad = await runCli(runDiff, [join(dir, 'old.yaml'), join(dir, 'new.yaml'), '--identities', join(dir, 'sample.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${join(dir, 'sample.yaml')}:2:`);
    expect(bad.stderr).toContain('[1].grups: unknown key');
    await writeFile(join(dir, 'bad.jsonl'), '{"username":"a"}\n{"username":"b","audience":"boss"}\n');
    const jsonl = await runCli(runDiff, [join(dir, 'old.yaml'), join(dir, 'new.yaml'), '--identities', join(dir, 'bad.jsonl')]);
    expect(jsonl.stderr).toMatch(/bad\.jsonl:2:1 audience: /);
  });

  it('refuses a missing sample with a usage error', async () => {
    expect((await runCli(runDiff, [join(dir, 'old.yaml'), join(dir, 'new.yaml')])).code).toBe(2);
  });
});

describe('diff against a running bridge', () => {
  let t: TestBridge;
  const TOKEN = 'ops-admin-token-0123456789';
  const SECRET = 'diff-test-secret-0123456789';
  beforeAll(async () => {
    const hash = await hashPassword('pw-1234567890', { ln: 10, r: 8, p: 1 });
    t = await startTestBridge({
      rules: OLD,
      config: `
ops: { adminToken: ${TOKEN} }
identityLog: { enabled: true, claims: [department] }
connectors:
  - id: accounts
    type: local
    users:
      - { username: erin, passwordHash: "${hash}", email: erin@bigcorp.example, fullName: Erin, claims: { department: Sales } }
      - { username: ed, passwordHash: "${hash}", email: ed@other.example, fullName: Ed, groups: [Enterprise] }
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: accounts }]
`,
    });
    for (const username of ['erin', 'ed']) {
      expect(await t.post(`/loginshare/main/user?key=${SECRET}`, { username, password: 'pw-1234567890', ipaddress: '203.0.113.9' })).toContain('<result>1</result>');
    }
    expect(await t.post(`/loginshare/main/user?key=${SECRET}`, { username: 'ed', password: 'wrong', ipaddress: '203.0.113.9' })).toContain('<result>0</result>');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('replays the realm\'s identity log against the live rules and the proposed ones', async () => {
    const { code, stdout, stderr } = await runCli(runDiff, ['--live', t.opsUrl, '--realm', 'main', join(dir, 'new.yaml')], { env: { LOGINSHARE_OPS_ADMIN_TOKEN: TOKEN } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('realm main (live)');
    expect(stdout).toContain('2 of 2 identities would get a different answer');
    expect(stdout).toMatch(/^erin\s+user\s+usergroup "Enterprise" → "Registered"/m);
  });

  it('serves the identity log without passwords, with only the claims asked for', async () => {
    const response = await fetch(`${t.opsUrl}/admin/realms/main/identities`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(body).not.toContain('pw-1234567890');
    expect(body).not.toContain('wrong');
    const entries = body.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.find((e) => e.username === 'erin')).toMatchObject({ realm: 'main', audience: 'user', connector: 'accounts', emails: ['erin@bigcorp.example'], claims: { department: 'Sales' } });
  });

  it('refuses a wrong token, names an unknown realm, and says when the token is missing', async () => {
    const wrong = await runCli(runDiff, ['--live', t.opsUrl, '--realm', 'main', join(dir, 'new.yaml')], { env: { LOGINSHARE_OPS_ADMIN_TOKEN: 'not-the-token-at-all' } });
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining('the admin token was refused') });
    const unknown = await runCli(runDiff, ['--live', t.opsUrl, '--realm', 'nope', join(dir, 'new.yaml')], { env: { LOGINSHARE_OPS_ADMIN_TOKEN: TOKEN } });
    expect(unknown.stderr).toContain('404 no realm "nope"');
    const none = await runCli(runDiff, ['--live', t.opsUrl, '--realm', 'main', join(dir, 'new.yaml')]);
    expect(none.stderr).toContain('no admin token');
  });
});
