import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';
import { KEYCLOAK_CLIENTS, KEYCLOAK_USERS } from '../support/keycloak-fixture.js';
import { startMockOidcIdp, type MockOidcIdp } from '../support/mock-oidc-idp.js';
import { serverInfo } from '../support/require-server.js';
import { freeLoopbackPort } from '../support/servers/free-port.js';

/**
 * Known passwords through every path a login takes — the break-glass local account, OIDC against a loopback IdP
 * (and Keycloak when it runs), and every way a login fails: wrong password, unknown user, lockout, rate limit,
 * an IdP that is down, one that hangs, a client the IdP refuses (invalid_client), malformed and oversized requests, a refused
 * caller — and then every place the bridge writes to is searched for them: each log and audit line, whatever it
 * printed, each answer (body and headers), the metrics, the readiness and health bodies, and what it keeps in Redis.
 */
const SECRET = 'no-password-caller-secret-0123456789';

/** A password with characters that JSON, URL and XML escaping each change, around a core no encoding changes. */
function knownPassword(kind: string): { password: string; core: string } {
  const core = `PW${kind}${randomBytes(6).toString('hex')}`;
  return { core, password: `${core} ü"<&>+%/=` };
}

const passwords = {
  local: knownPassword('local'),
  localWrong: knownPassword('localwrong'),
  oidc: knownPassword('oidc'),
  oidcWrong: knownPassword('oidcwrong'),
  unknownUser: knownPassword('unknown'),
  lockout: knownPassword('lockout'),
  rateLimited: knownPassword('ratelimited'),
  idpDown: knownPassword('idpdown'),
  idpHangs: knownPassword('idphangs'),
  badClient: knownPassword('badclient'),
  tooLong: knownPassword('toolong'),
  duplicated: knownPassword('duplicated'),
  noUsername: knownPassword('nousername'),
  oversized: knownPassword('oversized'),
  wrongKey: knownPassword('wrongkey'),
  unknownRealm: knownPassword('unknownrealm'),
  inQuery: knownPassword('inquery'),
  staffDenied: knownPassword('staffdenied'),
  keycloakWrong: knownPassword('keycloakwrong'),
};

/** Every form a leaked password would take in text. */
function forms(password: string, core: string): string[] {
  const bytes = Buffer.from(password, 'utf8');
  return [
    core,
    password,
    encodeURIComponent(password),
    new URLSearchParams({ p: password }).toString().slice(2),
    JSON.stringify(password).slice(1, -1),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    Buffer.from(core).toString('hex'),
    Buffer.from(core).toString('base64').slice(0, 8),
  ];
}

describe('no password anywhere', () => {
  let idp: MockOidcIdp;
  let hanging: TcpServer;
  const hangingSockets: Socket[] = [];
  let bridge: TestBridge;
  const answers: string[] = [];
  const printed: string[] = [];
  const redis = serverInfo('redis');
  const keycloak = serverInfo('keycloak');
  const redisPrefix = `lsb-nopw-${randomBytes(3).toString('hex')}:`;

  beforeAll(async () => {
    idp = await startMockOidcIdp({
      users: {
        'olga@corp.example': { password: passwords.oidc.password, claims: { email: 'olga@corp.example', email_verified: true, name: 'Olga O', groups: ['Customers'] } },
        'lena@corp.example': { password: passwords.lockout.password, claims: { email: 'lena@corp.example', email_verified: true, name: 'Lena L' } },
        'rita@corp.example': { password: passwords.rateLimited.password, claims: { email: 'rita@corp.example', email_verified: true, name: 'Rita R' } },
        'stan@corp.example': { password: passwords.staffDenied.password, claims: { email: 'stan@corp.example', email_verified: true, name: 'Stan S', groups: [] } },
      },
    });
    // Accepts connections and never answers: the IdP behind a firewall that drops.
    hanging = createTcpServer((socket) => void hangingSockets.push(socket));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const downUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const localHash = await hashPassword(passwords.local.password, { ln: 10, r: 8, p: 1 });

    const oidc = (id: string, issuer: string, extra = ''): string => `  - id: ${id}
    type: oidc
    issuer: ${issuer}
    endpoints: { token: ${issuer}/token, jwks: ${issuer}/jwks }
    clientId: ${idp.clientId}
    clientSecret: ${JSON.stringify(idp.clientSecret)}
    allowInsecureHttp: true
    timeoutMs: 800
${extra}`;
    const realm = (id: string, connectors: string[]): string => `  - id: ${id}
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [${connectors.map((c) => `{ use: ${c} }`).join(', ')}]
`;
    const config = `server: { host: 127.0.0.1, port: 0, loginTimeoutMs: 20000, bodyLimitBytes: 4096 }
ops: { host: 127.0.0.1, port: 0 }
log: { level: debug }
${redis ? `cache:\n  redis: { url: ${JSON.stringify(redis.url)}, keyPrefix: "${redisPrefix}" }\n` : ''}security:
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 }
  rateLimit: { perIpPerMinute: 1000, perUsernamePerMinute: 4 }
  circuitBreaker: { failureThreshold: 2, openSeconds: 30 }
connectors:
  - id: breakglass
    type: local
    users:
      - { username: breakglass-admin, passwordHash: ${JSON.stringify(localHash)}, email: admin@example.com, fullName: Break Glass, groups: [Helpdesk-Admins] }
${oidc('corp', idp.issuer)}${oidc('down', downUrl)}${oidc('hangs', hangingUrl)}${keycloak ? `  - id: keycloak
    type: oidc
    dialect: keycloak
    issuer: ${keycloak.issuer}
    clientId: ${KEYCLOAK_CLIENTS.bridge.clientId}
    clientSecret: ${JSON.stringify(KEYCLOAK_CLIENTS.bridge.secret)}
    allowInsecureHttp: true
    timeoutMs: 10000
` : ''}realms:
${realm('main', ['breakglass', 'corp'])}${realm('down', ['down'])}${realm('hangs', ['hangs'])}${keycloak ? realm('kc', ['keycloak']) : ''}`;
    const rules = `defaults:
  user: { usergroup: Registered }
unmatched: { user: default, staff: deny }
rules:
  - name: admins
    audience: staff
    when: { groups: { any: [Helpdesk-Admins] } }
    set: { team: Administrators }
`;
    // Whatever the bridge or its libraries print, too.
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
        printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
    }
    bridge = await startTestBridge({ config, rules });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await bridge?.stop();
    await idp?.stop();
    for (const socket of hangingSockets) socket.destroy();
    hanging?.close();
  });

  /** Posts as Kayako does and keeps the whole answer, headers included, for the search. */
  async function post(path: string, body: string | Buffer, audience: 'user' | 'staff' = 'user') {
    const response = await fetch(`${bridge.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'SWIFT_LoginShare' },
      body,
    });
    const text = await response.text();
    answers.push(`${response.status} ${JSON.stringify([...response.headers])}\n${text}`);
    return readLoginShareAnswer(text, audience);
  }
  const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
  const login = (realm: string, username: string, password: string, extra: Record<string, string> = {}, audience: 'user' | 'staff' = 'user') =>
    post(`/loginshare/${realm}/${audience}?key=${SECRET}`, form({ username, password, ipaddress: '192.0.2.44', ...extra }), audience);

  it('logs in and refuses through every path, then finds none of the passwords anywhere', async () => {
    // Successes: break-glass local account, OIDC.
    expect(await login('main', 'breakglass-admin', passwords.local.password)).toMatchObject({ accepted: true });
    expect(await login('main', 'olga@corp.example', passwords.oidc.password)).toMatchObject({ accepted: true });
    // Wrong passwords (local account, IdP), an unknown user.
    expect(await login('main', 'breakglass-admin', passwords.localWrong.password)).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
    expect(await login('main', 'olga@corp.example', passwords.oidcWrong.password)).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
    expect(await login('main', 'nobody@corp.example', passwords.unknownUser.password)).toMatchObject({ accepted: false });
    // Locked: three wrong passwords, then the right one is refused without asking the IdP.
    for (let i = 0; i < 3; i++) await login('main', 'lena@corp.example', `${passwords.lockout.password}${i}`);
    expect(await login('main', 'lena@corp.example', passwords.lockout.password)).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/locked/i) });
    // Rate limited: one username, over its allowance per minute.
    for (let i = 0; i < 5; i++) await login('main', 'rita@corp.example', passwords.rateLimited.password, { ipaddress: `198.51.100.${i}` });
    expect(await login('main', 'rita@corp.example', passwords.rateLimited.password)).toMatchObject({ accepted: false });
    // The IdP down (connection refused) until the breaker opens, one that never answers, a client it refuses.
    for (let i = 0; i < 3; i++) expect(await login('down', 'dora@corp.example', passwords.idpDown.password)).toMatchObject({ accepted: false });
    expect(await login('hangs', 'hank@corp.example', passwords.idpHangs.password)).toMatchObject({ accepted: false });
    idp.failNextWith(401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
    expect(await login('main', 'olga@corp.example', passwords.badClient.password)).toMatchObject({ accepted: false });
    // Staff refused by the rules.
    expect(await login('main', 'stan@corp.example', passwords.staffDenied.password, { interface: 'staff' }, 'staff')).toMatchObject({ accepted: false });
    // Malformed: a password over the limit, sent twice, without a username, a body over the limit.
    expect(await login('main', 'olga@corp.example', `${passwords.tooLong.password}${'x'.repeat(1100)}`)).toMatchObject({ accepted: false });
    expect(await post(`/loginshare/main/user?key=${SECRET}`, `${form({ username: 'olga@corp.example', password: passwords.duplicated.password })}&password=${encodeURIComponent(passwords.duplicated.password)}`)).toMatchObject({ accepted: false });
    expect(await post(`/loginshare/main/user?key=${SECRET}`, form({ password: passwords.noUsername.password }))).toMatchObject({ accepted: false });
    expect(await post(`/loginshare/main/user?key=${SECRET}`, form({ username: 'olga@corp.example', password: passwords.oversized.password, padding: 'p'.repeat(5000) }))).toMatchObject({ accepted: false });
    // Not Kayako: a wrong caller secret, an unknown realm, the password in the URL instead of the body.
    expect(await post(`/loginshare/main/user?key=${SECRET}x`, form({ username: 'olga@corp.example', password: passwords.wrongKey.password }))).toMatchObject({ accepted: false });
    expect(await post(`/loginshare/nope/user?key=${SECRET}`, form({ username: 'olga@corp.example', password: passwords.unknownRealm.password }))).toMatchObject({ accepted: false });
    expect(await post(`/loginshare/main/user?key=${SECRET}&password=${encodeURIComponent(passwords.inQuery.password)}`, form({ username: 'olga@corp.example' }))).toMatchObject({ accepted: false });
    const keycloakPasswords: string[] = [];
    if (keycloak) {
      const { alice, mistypedMike, disabledDave, pendingPaula } = KEYCLOAK_USERS;
      const welcome = await login('kc', alice.username, alice.password);
      expect(welcome, JSON.stringify(welcome)).toMatchObject({ accepted: true });
      expect(await login('kc', mistypedMike.username, passwords.keycloakWrong.password)).toMatchObject({ accepted: false });
      expect(await login('kc', disabledDave.username, disabledDave.password)).toMatchObject({ accepted: false });
      expect(await login('kc', pendingPaula.username, pendingPaula.password)).toMatchObject({ accepted: false });
      keycloakPasswords.push(alice.password, disabledDave.password, pendingPaula.password);
    }

    // What an operator and a monitoring system read.
    const ops = [];
    for (const path of ['/metrics', '/readyz', '/healthz']) {
      const response = await fetch(`${bridge.opsUrl}${path}`);
      ops.push(`${path} ${response.status}\n${await response.text()}`);
    }
    const kept: string[] = [];
    if (redis) {
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      for (const key of await client.keys(`${redisPrefix}*`)) {
        const type = await client.type(key);
        kept.push(key, type === 'string' ? String(await client.get(key)) : JSON.stringify(await client.dump(key)));
      }
      client.disconnect();
      expect(kept.length, 'the throttle counted in Redis').toBeGreaterThan(0);
    }

    const places: Record<string, string> = {
      'log and audit lines': bridge.rawLog(),
      'printed output': printed.join(''),
      answers: answers.join('\n'),
      'ops endpoints': ops.join('\n'),
      'Redis keys and values': kept.join('\n'),
    };
    // The search finds what it looks for: the usernames and outcomes are there.
    expect(places['log and audit lines']).toContain('olga@corp.example');
    expect(places['log and audit lines']).toMatch(/"outcome":"unavailable"/);
    expect(places['log and audit lines']).toMatch(/"outcome":"throttled_locked"/);
    expect(places['log and audit lines']).toMatch(/"outcome":"misconfigured"/);
    expect(places['ops endpoints']).toMatch(/loginshare_logins_total/);

    const leaks: string[] = [];
    const needles = [
      ...Object.entries(passwords).flatMap(([kind, { password, core }]) => forms(password, core).map((needle) => ({ kind, needle }))),
      ...keycloakPasswords.map((password) => ({ kind: 'keycloak fixture', needle: password })),
    ];
    for (const [place, text] of Object.entries(places)) {
      for (const { kind, needle } of needles) if (text.includes(needle)) leaks.push(`${kind} password (as ${JSON.stringify(needle)}) in ${place}`);
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
