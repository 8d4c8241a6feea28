import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { deadlineIn } from '../../src/login/deadline.js';
import type { LoginAttempt, LoginOutcome } from '../../src/login/vocabulary.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createLdapConnector, type LdapConnectorDeps } from '../../src/connectors/ldap/ldap-connector.js';
import { ldapConnectorSchema, type LdapConnectorInput } from '../../src/connectors/ldap/ldap-config.js';
import { LDAP_GROUPS_DN, LDAP_PEOPLE_DN, LDAP_USERS, SPECIAL_UID } from '../support/ldap-fixture.js';
import { describeWithServer } from '../support/require-server.js';
import { freeLoopbackPort } from '../support/servers/free-port.js';
import { makeTestCertificates } from '../support/test-ca.js';

function attempt(username: string, password: string): LoginAttempt {
  return { username, password, endUserIp: '203.0.113.9', audience: 'user', realmId: 'main' };
}

/** A server that takes the TCP connection and never says a word: a hung directory. */
async function silentServer(): Promise<{ url: string; close(): Promise<void>; connections(): number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ldap://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describeWithServer('slapd', 'LDAP connector against a real slapd', (slapd) => {
  const connectors: PasswordConnector[] = [];
  const make = (overrides: Partial<LdapConnectorInput> = {}, deps: LdapConnectorDeps = {}): PasswordConnector => {
    const config = ldapConnectorSchema.parse({
      id: 'corp-ldap',
      type: 'ldap',
      directory: 'openldap',
      urls: [slapd.url],
      serviceAccount: { dn: slapd.bindDn, password: slapd.bindPassword },
      userSearch: { base: LDAP_PEOPLE_DN },
      groups: { source: 'memberOf' },
      ...overrides,
    });
    const connector = createLdapConnector(config, deps);
    connectors.push(connector);
    return connector;
  };
  const login = async (connector: PasswordConnector, username: string, password: string, ms = 10_000): Promise<LoginOutcome> => {
    const deadline = deadlineIn(ms);
    try {
      return await connector.login(attempt(username, password), deadline);
    } finally {
      deadline.dispose();
    }
  };
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close?.()));
  });

  describe('search-then-bind with the service account', () => {
    it('logs a person in with nested groups (memberOf, followed breadth-first) and maps the entry to a profile', async () => {
      const outcome = await login(make(), 'carol', LDAP_USERS.carol.password);
      expect(outcome.kind).toBe('ok');
      if (outcome.kind !== 'ok') return;
      const { identity } = outcome;
      expect(identity.groups.sort()).toEqual(['Engineering', 'Everyone', 'Staff']);
      expect(identity.emails).toEqual(['carol.chen@example.com']);
      expect(identity).toMatchObject({
        username: 'carol',
        givenName: 'Carol',
        familyName: 'Chen',
        displayName: 'Carol Chen (Eng)',
        phone: '+1 555 0100',
        connectorId: 'corp-ldap',
      });
      expect(identity.claims['title']).toBe('Engineer');
      expect(identity.claims['dn']).toBe(LDAP_USERS.carol.dn);
      // entryUUID: the entry's stable id, not its DN (a rename must not make a new Kayako account).
      expect(identity.subject).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('finds the same person by email, and gives group DNs when asked to', async () => {
      const outcome = await login(make({ groups: { source: 'memberOf', names: 'dn' } }), 'bob@helpdesk.example.com', LDAP_USERS.bobAgent.password);
      expect(outcome.kind).toBe('ok');
      if (outcome.kind !== 'ok') return;
      expect(outcome.identity.username).toBe('bob-agent');
      expect(outcome.identity.groups.sort()).toEqual([`cn=Corp,${LDAP_GROUPS_DN}`, `cn=Helpdesk-Agents,${LDAP_GROUPS_DN}`, `cn=Support,${LDAP_GROUPS_DN}`]);
    });

    it('finds groups by a group search (member={dn}) with nesting, and without it only the direct ones', async () => {
      const search = { source: 'search' as const, base: LDAP_GROUPS_DN, filter: '(&(objectClass=groupOfNames)(member={dn}))' };
      const nested = await login(make({ groups: search }), 'carol', LDAP_USERS.carol.password);
      expect(nested.kind === 'ok' && nested.identity.groups.sort()).toEqual(['Engineering', 'Everyone', 'Staff']);
      const flat = await login(make({ groups: { ...search, nested: false } }), 'carol', LDAP_USERS.carol.password);
      expect(flat.kind === 'ok' && flat.identity.groups).toEqual(['Engineering']);
    });

    it('finds posixGroups by memberUid={uid}, the uid read from the entry (the person typed their email)', async () => {
      const groups = { source: 'search' as const, base: LDAP_GROUPS_DN, filter: '(&(objectClass=posixGroup)(memberUid={uid}))', nested: false };
      const outcome = await login(make({ groups }), 'carol.chen@example.com', LDAP_USERS.carol.password);
      expect(outcome.kind === 'ok' && outcome.identity.groups).toEqual(['Printers']);
    });

    it('stops at a membership loop (LoopA ⊂ LoopB ⊂ LoopA), both through memberOf and through a group search', async () => {
      for (const groups of [{ source: 'memberOf' as const }, { source: 'search' as const, base: LDAP_GROUPS_DN }]) {
        const outcome = await login(make({ groups }), 'loopy', LDAP_USERS.loopy.password);
        expect(outcome.kind === 'ok' && outcome.identity.groups.sort()).toEqual(['LoopA', 'LoopB']);
      }
    });

    it('refuses a person in more groups than groups.maxGroups instead of mapping a partial list', async () => {
      const outcome = await login(make({ groups: { source: 'memberOf', maxGroups: 2 } }), 'carol', LDAP_USERS.carol.password);
      expect(outcome.kind).toBe('unavailable');
      expect(outcome.kind === 'unavailable' && outcome.cause.message).toMatch(/more than 2 groups/);
    });

    it('answers a wrong password with invalid_credentials and a name the directory lacks with unknown_user', async () => {
      const connector = make();
      expect(await login(connector, 'alice', 'not-her-password')).toEqual({ kind: 'invalid_credentials' });
      expect(await login(connector, 'nobody-here', 'whatever-1')).toEqual({ kind: 'unknown_user' });
    });

    it('refuses an empty password before any bind (an empty simple bind is an anonymous bind, which succeeds)', async () => {
      const connector = make({ urls: [(await silentServer()).url] });
      const started = performance.now();
      expect(await login(connector, 'alice', '')).toEqual({ kind: 'invalid_credentials' });
      // Answered without waiting on a server that never answers: nothing was sent.
      expect(performance.now() - started).toBeLessThan(200);
    });

    it.each([['*'], [')(uid=*'], ['*)(|(uid=*'], ['alice)(|(uid=*'], ['*)(objectClass=*']])(
      'treats the injection attempt %j as a literal username (no entry), never as filter syntax',
      async (username) => {
        // With the characters read as syntax, these would match alice (or everyone): a login, or an ambiguity.
        expect(await login(make(), username, LDAP_USERS.alice.password)).toEqual({ kind: 'unknown_user' });
      },
    );

    it('logs in the user whose uid holds ( ) * \\ , + " < > ; — escaped in the filter, bound by its DN', async () => {
      const outcome = await login(make(), SPECIAL_UID, LDAP_USERS.special.password);
      expect(outcome.kind).toBe('ok');
      if (outcome.kind !== 'ok') return;
      expect(outcome.identity.username).toBe(SPECIAL_UID);
      expect(outcome.identity.groups).toEqual(['Customers-Special']);
      expect(await login(make(), SPECIAL_UID, 'wrong-password')).toEqual({ kind: 'invalid_credentials' });
    });

    it('refuses a username that matches two entries rather than guessing which person it is', async () => {
      const outcome = await login(make(), 'twins@example.com', LDAP_USERS.twinOne.password);
      expect(outcome.kind).toBe('misconfigured');
      expect(outcome.kind === 'misconfigured' && outcome.cause.message).toMatch(/more than one entry/);
    });

    it('logs in a person without mail with no email (the login flow then refuses with its no-email message)', async () => {
      const outcome = await login(make(), 'nomail', LDAP_USERS.noMail.password);
      expect(outcome.kind === 'ok' && outcome.identity.emails).toEqual([]);
    });

    it('refuses the ppolicy-locked account even with its right password (slapd says invalidCredentials, as it should)', async () => {
      expect(await login(make(), 'disabled', LDAP_USERS.disabled.password)).toEqual({ kind: 'invalid_credentials' });
    });

    it('says which setting is wrong when the service account cannot bind', async () => {
      const outcome = await login(make({ serviceAccount: { dn: slapd.bindDn, password: 'not-the-service-password' } }), 'alice', LDAP_USERS.alice.password);
      expect(outcome.kind).toBe('misconfigured');
      expect(outcome.kind === 'misconfigured' && outcome.cause.message).toMatch(/service account's bind.*serviceAccount\.dn/);
    });

    it('keeps service connections open between logins (pool) and checks readiness with a service bind', async () => {
      const connector = make({ pool: { size: 2, idleMs: 60_000 } });
      await connector.prepare?.(deadlineIn(5_000));
      const results = await Promise.all(Array.from({ length: 6 }, () => login(connector, 'alice', LDAP_USERS.alice.password)));
      expect(results.map((r) => r.kind)).toEqual(Array(6).fill('ok'));
      const broken = make({ serviceAccount: { dn: slapd.bindDn, password: 'wrong' } });
      await expect(broken.prepare?.(deadlineIn(5_000))).rejects.toThrow(/service account/);
    });
  });

  describe('direct bind', () => {
    it('binds with a DN template, reads the entry as the user, and resolves nested groups on that connection', async () => {
      const connector = make({ bind: 'direct', bindTemplate: `uid={username},${LDAP_PEOPLE_DN}`, serviceAccount: undefined, userSearch: undefined });
      const outcome = await login(connector, 'bob-agent', LDAP_USERS.bobAgent.password);
      expect(outcome.kind).toBe('ok');
      expect(outcome.kind === 'ok' && outcome.identity.groups.sort()).toEqual(['Corp', 'Helpdesk-Agents', 'Support']);
      expect(await login(connector, 'bob-agent', 'nope')).toEqual({ kind: 'invalid_credentials' });
    });

    it('keeps the group list in the bridge\'s group cache: a second login of the person reads no groups from the directory', async () => {
      const results: string[] = [];
      const groupCache = { cache: createMemoryCache({ maxEntries: 100 }), ttlSeconds: 60, onResult: (r: 'hit' | 'miss') => void results.push(r) };
      const connector = make({ bind: 'direct', bindTemplate: `uid={username},${LDAP_PEOPLE_DN}`, serviceAccount: undefined, userSearch: undefined }, { groupCache });
      const first = await login(connector, 'carol', LDAP_USERS.carol.password);
      const second = await login(connector, 'carol', LDAP_USERS.carol.password);
      expect(results).toEqual(['miss', 'hit']);
      expect(second.kind === 'ok' && second.identity.groups.sort()).toEqual(first.kind === 'ok' ? first.identity.groups.sort() : 'first login failed');
      // The password is still checked every time: the cache holds groups only.
      expect(await login(connector, 'carol', 'wrong')).toEqual({ kind: 'invalid_credentials' });
    });

    it('escapes the username as an RDN value (RFC 4514): the uid with , + " < > ; \\ binds as itself', async () => {
      const connector = make({ bind: 'direct', bindTemplate: `uid={username},${LDAP_PEOPLE_DN}`, serviceAccount: undefined, userSearch: undefined });
      const outcome = await login(connector, SPECIAL_UID, LDAP_USERS.special.password);
      expect(outcome.kind === 'ok' && outcome.identity.claims['dn']).toBe(LDAP_USERS.special.dn);
      // A username that tries to name another entry's DN stays one value of uid.
      expect(await login(connector, `alice,${LDAP_PEOPLE_DN}`, LDAP_USERS.alice.password)).toEqual({ kind: 'invalid_credentials' });
    });
  });

  describe('servers and transport', () => {
    it('fails over to the second URL when the first refuses connections', async () => {
      const closedPort = await freeLoopbackPort();
      const outcome = await login(make({ urls: [`ldap://127.0.0.1:${closedPort}`, slapd.url] }), 'alice', LDAP_USERS.alice.password);
      expect(outcome.kind).toBe('ok');
    });

    it('fails over past a server that accepts and never answers, within the operation timeout', async () => {
      const hung = await silentServer();
      try {
        const connector = make({ urls: [hung.url, slapd.url], timeouts: { connectMs: 1_000, operationMs: 800 } });
        const started = performance.now();
        expect((await login(connector, 'alice', LDAP_USERS.alice.password)).kind).toBe('ok');
        expect(performance.now() - started).toBeLessThan(4_000);
        expect(hung.connections()).toBeGreaterThan(0);
        // The server that answered is tried first from now on: the hung one is not asked again.
        const asked = hung.connections();
        expect((await login(connector, 'zoe', LDAP_USERS.zoe.password)).kind).toBe('ok');
        expect(hung.connections()).toBe(asked);
      } finally {
        await hung.close();
      }
    });

    it('answers within the login deadline when the only server accepts and never answers', async () => {
      const hung = await silentServer();
      try {
        // Plain, under StartTLS (the extended operation unanswered) and as LDAPS (the TLS handshake unanswered).
        const variants = [
          { bind: 'search', url: hung.url, startTls: false },
          { bind: 'direct', url: hung.url, startTls: false },
          { bind: 'search', url: hung.url, startTls: true },
          { bind: 'search', url: hung.url.replace('ldap:', 'ldaps:'), startTls: false },
        ] as const;
        for (const { bind, url, startTls } of variants) {
          const connector = make({ urls: [url], bind, bindTemplate: `uid={username},${LDAP_PEOPLE_DN}`, tls: { startTls }, timeouts: { connectMs: 30_000, operationMs: 30_000 } });
          const started = performance.now();
          const outcome = await login(connector, 'alice', LDAP_USERS.alice.password, 1_500);
          const took = performance.now() - started;
          expect(outcome.kind).toBe('unavailable');
          expect(took).toBeGreaterThan(1_300);
          expect(took).toBeLessThan(2_500);
        }
      } finally {
        await hung.close();
      }
    });

    it('logs in over LDAPS with the test CA, and over StartTLS on the plain port', async () => {
      const ldaps = make({ urls: [slapd.ldapsUrl], tls: { ca: slapd.caPem } });
      expect((await login(ldaps, 'alice', LDAP_USERS.alice.password)).kind).toBe('ok');
      const startTls = make({ urls: [slapd.url], tls: { startTls: true, ca: slapd.caPem } });
      expect((await login(startTls, 'carol', LDAP_USERS.carol.password)).kind).toBe('ok');
    });

    it('trusts the CA given as a file (caFile), over LDAPS and StartTLS', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lsb-ldap-ca-'));
      try {
        const caFile = join(dir, 'ca.pem');
        writeFileSync(caFile, slapd.caPem);
        expect((await login(make({ urls: [slapd.ldapsUrl], caFile }), 'alice', LDAP_USERS.alice.password)).kind).toBe('ok');
        expect((await login(make({ urls: [slapd.url], tls: { startTls: true }, caFile }), 'carol', LDAP_USERS.carol.password)).kind).toBe('ok');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    describe('a certificate the configured CA did not sign', () => {
      let otherCa: string;
      beforeAll(async () => {
        otherCa = (await makeTestCertificates()).caPem;
      }, 60_000);

      it.each([['LDAPS', true], ['StartTLS', false]])('is refused over %s, naming the certificate problem', async (_name, ldaps) => {
        const connector = make(ldaps ? { urls: [slapd.ldapsUrl], tls: { ca: otherCa } } : { urls: [slapd.url], tls: { startTls: true, ca: otherCa } });
        const outcome = await login(connector, 'alice', LDAP_USERS.alice.password);
        expect(outcome.kind).toBe('misconfigured');
        expect(outcome.kind === 'misconfigured' && outcome.cause.message).toMatch(/certificate was refused.*tls\.ca/);
      });

      it('is refused with the public CAs (no tls.ca) too, and a certificate for another name is refused as well', async () => {
        const publicCas = await login(make({ urls: [slapd.ldapsUrl] }), 'alice', LDAP_USERS.alice.password);
        expect(publicCas.kind).toBe('misconfigured');
        const wrongName = await login(make({ urls: [slapd.ldapsUrl], tls: { ca: slapd.caPem, servername: 'ldap.elsewhere.example' } }), 'alice', LDAP_USERS.alice.password);
        expect(wrongName.kind).toBe('misconfigured');
        expect(wrongName.kind === 'misconfigured' && wrongName.cause.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
      });
    });
  });
});
