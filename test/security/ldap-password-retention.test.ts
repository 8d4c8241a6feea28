import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { getHeapSnapshot } from 'node:v8';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { LDAP_ADMIN, LDAP_PEOPLE_DN } from '../support/ldap-fixture.js';
import { serverInfo } from '../support/require-server.js';

/**
 * The LDAP connector hands the typed password to ldapts for one bind; once the login is answered nothing may keep
 * it (see password-retention.test.ts for the method: passwords exist in this process only as bytes, are posted by a
 * child process, and are searched for as bytes in a heap snapshot of this process, where the bridge runs).
 */
const SECRET = 'kayako-caller-secret-for-ldap-retention';
const slapd = serverInfo('slapd');
const uid = `retention-${randomBytes(4).toString('hex')}`;
let t: TestBridge;
let rightPassword: Buffer;

function passwordBytes(): Buffer {
  return Buffer.from(randomBytes(24).map((byte) => 0x61 + (byte % 26)));
}

/** `{SSHA}` of the bytes, so the directory can check the password without this process holding it as a string. */
function sshaOf(password: Buffer): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

async function postFromChild(lines: Buffer[]): Promise<string[]> {
  const script = `
    const lines = require('node:fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);
    (async () => {
      const answers = [];
      for (const line of lines) {
        const [url, username, password, ipaddress] = line.split('\\t');
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username, password, ipaddress }).toString() });
        answers.push((await response.text()).match(/<result>(\\d)<\\/result>/)?.[1] ?? 'no result');
      }
      process.stdout.write(answers.join(','));
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stdin.end(Buffer.concat(lines));
  await new Promise((resolve) => child.on('close', resolve));
  return out.split(',');
}

async function heapContains(needles: Buffer[]): Promise<Buffer[]> {
  const found = new Set<Buffer>();
  const overlap = Math.max(...needles.map((needle) => needle.length));
  let tail = Buffer.alloc(0);
  for await (const chunk of getHeapSnapshot()) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    for (const needle of needles) if (window.includes(needle)) found.add(needle);
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  return [...found];
}

describe.skipIf(slapd === undefined)('no password outlives its LDAP login', () => {
  beforeAll(async () => {
    rightPassword = passwordBytes();
    const admin = new Client({ url: slapd!.url, timeout: 5_000, connectTimeout: 5_000 });
    try {
      await admin.bind(LDAP_ADMIN.dn, LDAP_ADMIN.password);
      await admin.add(`uid=${uid},${LDAP_PEOPLE_DN}`, {
        objectClass: ['inetOrgPerson', 'organizationalPerson', 'person', 'top'],
        uid,
        cn: 'Retention Test',
        sn: 'Test',
        mail: `${uid}@example.com`,
        userPassword: sshaOf(rightPassword),
      });
    } finally {
      await admin.unbind();
    }
    t = await startTestBridge({
      env: { LDAP_BIND_PASSWORD: slapd!.bindPassword },
      rules: 'defaults:\n  user: { usergroup: Registered }\n  staff: { team: Support }\n',
      config: `
security:
  rateLimit: { perIpPerMinute: 1000, perUsernamePerMinute: 1000 }
connectors:
  - id: corp-ldap
    type: ldap
    directory: openldap
    urls: [${slapd!.url}]
    serviceAccount: { dn: "${slapd!.bindDn}", password: "\${LDAP_BIND_PASSWORD}" }
    userSearch: { base: "${LDAP_PEOPLE_DN}" }
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: corp-ldap }]
`,
    });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('neither a right nor a wrong password is left in the heap once the logins are answered', async () => {
    const wrong = [passwordBytes(), passwordBytes()];
    const line = (password: Buffer, ip: string) =>
      Buffer.concat([Buffer.from(`${t.baseUrl}/loginshare/main/user?key=${SECRET}\t${uid}\t`), password, Buffer.from(`\t${ip}\n`)]);
    const answers = await postFromChild([
      line(rightPassword, '203.0.113.201'),
      line(rightPassword, '203.0.113.202'),
      line(wrong[0]!, '203.0.113.203'),
      line(rightPassword, '203.0.113.204'),
      line(wrong[1]!, '203.0.113.205'),
    ]);
    expect(answers).toEqual(['1', '1', '0', '1', '0']);
    // The person's connection is closed after each login (a goodbye, then at most a second to go).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const left = await heapContains([rightPassword, ...wrong]);
    expect(left.map((p) => (p === rightPassword ? 'the right password' : 'a wrong password'))).toEqual([]);
  }, 60_000);
});
