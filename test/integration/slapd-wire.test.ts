import { Client, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import { afterEach, expect, it } from 'vitest';
import { LDAP_GROUPS, LDAP_GROUPS_DN, LDAP_PEOPLE_DN, LDAP_USERS } from '../support/ldap-fixture.js';
import { describeWithServer } from '../support/require-server.js';

/** The test directory behaves like a real one: binds, ACLs, memberOf, nested groups, UTF-8. */
describeWithServer('slapd', 'slapd test directory on the wire', (slapd) => {
  const clients: Client[] = [];
  function client(): Client {
    const c = new Client({ url: slapd.url, timeout: 5_000, connectTimeout: 5_000 });
    clients.push(c);
    return c;
  }
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.unbind()));
  });

  it('binds a user with the password stored as {SSHA} and refuses a wrong one with invalidCredentials (49)', async () => {
    const alice = LDAP_USERS.alice;
    await expect(client().bind(alice.dn, alice.password)).resolves.toBeUndefined();
    const failure = await client().bind(alice.dn, 'not-her-password').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InvalidCredentialsError);
    expect((failure as InvalidCredentialsError).code).toBe(49);
  });

  it('lets the bind account find a user by uid, but never read the password hash', async () => {
    const ldap = client();
    await ldap.bind(slapd.bindDn, slapd.bindPassword);
    const { searchEntries } = await ldap.search(LDAP_PEOPLE_DN, {
      filter: `(uid=${LDAP_USERS.bobAgent.uid})`,
      attributes: ['cn', 'mail', 'givenName', 'sn', 'title', 'userPassword'],
    });
    expect(searchEntries).toEqual([
      {
        dn: LDAP_USERS.bobAgent.dn,
        cn: 'Bob Baker',
        mail: 'bob@helpdesk.example.com',
        givenName: 'Bob',
        sn: 'Baker',
        title: 'Support Engineer',
        // Requested but not readable: ldapts reports it as an empty list.
        userPassword: [],
      },
    ]);
  });

  it('refuses anonymous searches: the base itself is hidden (noSuchObject, 32), not merely empty', async () => {
    const failure = await client().search(LDAP_PEOPLE_DN, { filter: '(uid=alice)' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(NoSuchObjectError);
    expect((failure as NoSuchObjectError).code).toBe(32);
  });

  it('maintains memberOf on users and on nested groups', async () => {
    const ldap = client();
    await ldap.bind(slapd.bindDn, slapd.bindPassword);
    const { searchEntries: [bob] } = await ldap.search(LDAP_USERS.bobAgent.dn, { scope: 'base', attributes: ['memberOf'] });
    expect([bob?.memberOf].flat().sort()).toEqual([LDAP_GROUPS['Helpdesk-Agents']?.dn, LDAP_GROUPS.Support?.dn].sort());
    const { searchEntries: [support] } = await ldap.search(LDAP_GROUPS.Support?.dn ?? '', { scope: 'base', attributes: ['memberOf'] });
    expect(support?.memberOf).toBe(LDAP_GROUPS.Corp?.dn);
  });

  it('finds groups by member with a search bound as the user, the way a group resolver without a service account would', async () => {
    const alice = LDAP_USERS.alice;
    const ldap = client();
    await ldap.bind(alice.dn, alice.password);
    const { searchEntries } = await ldap.search(LDAP_GROUPS_DN, {
      filter: `(&(objectClass=groupOfNames)(member=${alice.dn}))`,
      attributes: ['cn'],
    });
    expect(searchEntries.map((e) => e.cn).sort()).toEqual(['Customers', 'Enterprise']);
  });

  it('returns UTF-8 names intact', async () => {
    const ldap = client();
    await ldap.bind(slapd.bindDn, slapd.bindPassword);
    const { searchEntries } = await ldap.search(LDAP_PEOPLE_DN, { filter: '(givenName=Zoë)', attributes: ['cn'] });
    expect(searchEntries).toEqual([{ dn: LDAP_USERS.zoe.dn, cn: 'Zoë Zimmermann' }]);
  });
});
