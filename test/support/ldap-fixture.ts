import { createHash, randomBytes } from 'node:crypto';

/**
 * The small directory every slapd the harness starts is seeded with. Tests import these constants instead
 * of repeating DNs and passwords. Passwords are stored as {SSHA}, as most real directories still do.
 */
export const LDAP_BASE_DN = 'dc=example,dc=com';
export const LDAP_PEOPLE_DN = `ou=people,${LDAP_BASE_DN}`;
export const LDAP_GROUPS_DN = `ou=groups,${LDAP_BASE_DN}`;

/** slapd's rootdn: the harness uses it to seed the directory; tests should prefer the bind account. */
export const LDAP_ADMIN = { dn: `cn=admin,${LDAP_BASE_DN}`, password: 'admin-Secret-1' } as const;

/** The service account the bridge would search with (read access to people and groups). */
export const LDAP_BIND_ACCOUNT = { dn: `cn=bridge,ou=services,${LDAP_BASE_DN}`, password: 'bridge-Secret-1' } as const;

export interface LdapFixtureUser {
  uid: string;
  dn: string;
  password: string;
  cn: string;
  sn: string;
  givenName: string;
  /** Absent for the user the directory has no email for. */
  mail?: string;
  title?: string;
  /** Written into the entry as is (attributes a fixture user needs beyond the usual). */
  extra?: Record<string, string | string[]>;
  /** Groups the user is a direct member of (cn), in the order the fixture lists them. */
  groups: readonly string[];
}

function person(
  uid: string,
  password: string,
  names: { givenName: string; sn: string; cn?: string },
  mail: string | undefined,
  groups: readonly string[],
  title?: string,
  more: { dn?: string; extra?: Record<string, string | string[]> } = {},
): LdapFixtureUser {
  const cn = names.cn ?? `${names.givenName} ${names.sn}`;
  return {
    uid,
    dn: more.dn ?? `uid=${uid},${LDAP_PEOPLE_DN}`,
    password,
    cn,
    sn: names.sn,
    givenName: names.givenName,
    ...(mail ? { mail } : {}),
    groups,
    ...(title ? { title } : {}),
    ...(more.extra ? { extra: more.extra } : {}),
  };
}

/**
 * A uid with every character that means something in a filter or a DN: `( ) * \ , + " < > ;`. Its DN is written
 * here by hand in the hex form of RFC 4514, so a test binding to it checks the connector's own escaping against
 * the server, not against itself.
 */
export const SPECIAL_UID = 'j(o)e*\\,+"<>; smith';
const SPECIAL_DN = `uid=j(o)e*\\5C\\2C\\2B\\22\\3C\\3E\\3B smith,${LDAP_PEOPLE_DN}`;

/** ppolicy: `pwdAccountLockedTime: 000001010000Z` locks an account until an administrator unlocks it. */
export const LDAP_PPOLICY_DN = `cn=default,ou=policies,${LDAP_BASE_DN}`;

export const LDAP_USERS = {
  alice: person('alice', 'alice-Secret-1', { givenName: 'Alice', sn: 'Anderson' }, 'alice@bigcorp.com', ['Customers', 'Enterprise'], 'Purchasing Manager'),
  bobAgent: person('bob-agent', 'bob-Secret-1', { givenName: 'Bob', sn: 'Baker' }, 'bob@helpdesk.example.com', ['Helpdesk-Agents', 'Support'], 'Support Engineer'),
  // Non-ASCII name: LDAP values are UTF-8, and Kayako's XML answer must carry them intact.
  zoe: person('zoe', 'zoe-Secret-1', { givenName: 'Zoë', sn: 'Zimmermann' }, 'zoe@example.com', []),
  // Engineering ⊂ Staff ⊂ Everyone: three levels of nesting.
  carol: person('carol', 'carol-Secret-1', { givenName: 'Carol', sn: 'Chen' }, 'Carol.Chen@Example.com', ['Engineering'], 'Engineer', {
    extra: { telephoneNumber: '+1 555 0100', mobile: '+1 555 0199', displayName: 'Carol Chen (Eng)' },
  }),
  // In LoopA, which is in LoopB, which is in LoopA.
  loopy: person('loopy', 'loopy-Secret-1', { givenName: 'Lou', sn: 'Loop' }, 'loopy@example.com', ['LoopA']),
  special: person(SPECIAL_UID, 'special-Secret-1', { givenName: 'Jo', sn: 'Special' }, 'special@example.com', ['Customers-Special'], undefined, { dn: SPECIAL_DN }),
  noMail: person('nomail', 'nomail-Secret-1', { givenName: 'Nora', sn: 'Nomail' }, undefined, []),
  disabled: person('disabled', 'disabled-Secret-1', { givenName: 'Dis', sn: 'Abled' }, 'disabled@example.com', [], undefined, {
    extra: { pwdAccountLockedTime: '000001010000Z' },
  }),
  // Two people sharing one address: a search by mail finds both.
  twinOne: person('twin-one', 'twin-Secret-1', { givenName: 'Tom', sn: 'Twin' }, 'twins@example.com', []),
  twinTwo: person('twin-two', 'twin-Secret-2', { givenName: 'Tim', sn: 'Twin' }, 'twins@example.com', []),
} as const satisfies Record<string, LdapFixtureUser>;

/**
 * groupOfNames entries. `Support` is itself a member of `Corp`, so a resolver that follows nesting finds
 * `Corp` for bob-agent and one that does not, does not.
 */
export const LDAP_GROUPS: Readonly<Record<string, { dn: string; members: readonly string[] }>> = {
  Customers: { dn: `cn=Customers,${LDAP_GROUPS_DN}`, members: [LDAP_USERS.alice.dn] },
  Enterprise: { dn: `cn=Enterprise,${LDAP_GROUPS_DN}`, members: [LDAP_USERS.alice.dn] },
  'Helpdesk-Agents': { dn: `cn=Helpdesk-Agents,${LDAP_GROUPS_DN}`, members: [LDAP_USERS.bobAgent.dn] },
  Support: { dn: `cn=Support,${LDAP_GROUPS_DN}`, members: [LDAP_USERS.bobAgent.dn] },
  Corp: { dn: `cn=Corp,${LDAP_GROUPS_DN}`, members: [`cn=Support,${LDAP_GROUPS_DN}`] },
  Engineering: { dn: `cn=Engineering,${LDAP_GROUPS_DN}`, members: [LDAP_USERS.carol.dn] },
  Staff: { dn: `cn=Staff,${LDAP_GROUPS_DN}`, members: [`cn=Engineering,${LDAP_GROUPS_DN}`] },
  Everyone: { dn: `cn=Everyone,${LDAP_GROUPS_DN}`, members: [`cn=Staff,${LDAP_GROUPS_DN}`] },
  // LoopB ⊂ LoopA is added after both exist (ldapFixtureModifications), closing the loop.
  LoopA: { dn: `cn=LoopA,${LDAP_GROUPS_DN}`, members: [LDAP_USERS.loopy.dn] },
  LoopB: { dn: `cn=LoopB,${LDAP_GROUPS_DN}`, members: [`cn=LoopA,${LDAP_GROUPS_DN}`] },
  'Customers-Special': { dn: `cn=Customers-Special,${LDAP_GROUPS_DN}`, members: [SPECIAL_DN] },
};

export const LDAP_POSIX_GROUP = { dn: `cn=Printers,${LDAP_GROUPS_DN}`, memberUids: ['carol'] } as const;

/** Changes made after every entry exists: LoopB becomes a member of LoopA, so the two contain each other. */
export function ldapFixtureModifications(): Array<{ dn: string; add: Record<string, string[]> }> {
  return [{ dn: LDAP_GROUPS['LoopA']!.dn, add: { member: [LDAP_GROUPS['LoopB']!.dn] } }];
}

/** `{SSHA}` as slapd's default password-hash: base64(sha1(password + salt) + salt). */
export function sshaHash(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

export interface LdapEntry {
  dn: string;
  attributes: Record<string, string | string[]>;
}

/** The entries to add, parents first. */
export function ldapFixtureEntries(): LdapEntry[] {
  const users = Object.values(LDAP_USERS).map(
    (u): LdapEntry => ({
      dn: u.dn,
      attributes: {
        objectClass: ['inetOrgPerson', 'organizationalPerson', 'person', 'top'],
        uid: u.uid,
        cn: u.cn,
        sn: u.sn,
        givenName: u.givenName,
        ...('mail' in u ? { mail: u.mail } : {}),
        ...('title' in u ? { title: u.title } : {}),
        ...('extra' in u ? u.extra : {}),
        userPassword: sshaHash(u.password),
      },
    }),
  );
  // Members before the groups that contain them, so memberOf is maintained on nested groups too.
  const groups = ['Customers', 'Enterprise', 'Helpdesk-Agents', 'Support', 'Corp', 'Engineering', 'Staff', 'Everyone', 'LoopA', 'LoopB', 'Customers-Special'].map((cn): LdapEntry => {
    const group = LDAP_GROUPS[cn];
    if (!group) throw new Error(`fixture group ${cn} is not defined`);
    return { dn: group.dn, attributes: { objectClass: ['groupOfNames', 'top'], cn, member: [...group.members] } };
  });
  // A posixGroup names members by uid (memberUid), not by DN.
  const posixGroups: LdapEntry[] = [
    { dn: LDAP_POSIX_GROUP.dn, attributes: { objectClass: ['posixGroup', 'top'], cn: 'Printers', gidNumber: '5001', memberUid: [...LDAP_POSIX_GROUP.memberUids] } },
  ];
  return [
    { dn: LDAP_BASE_DN, attributes: { objectClass: ['dcObject', 'organization', 'top'], dc: 'example', o: 'Example Inc.' } },
    { dn: LDAP_PEOPLE_DN, attributes: { objectClass: ['organizationalUnit', 'top'], ou: 'people' } },
    { dn: LDAP_GROUPS_DN, attributes: { objectClass: ['organizationalUnit', 'top'], ou: 'groups' } },
    { dn: `ou=services,${LDAP_BASE_DN}`, attributes: { objectClass: ['organizationalUnit', 'top'], ou: 'services' } },
    { dn: `ou=policies,${LDAP_BASE_DN}`, attributes: { objectClass: ['organizationalUnit', 'top'], ou: 'policies' } },
    {
      dn: LDAP_PPOLICY_DN,
      attributes: { objectClass: ['pwdPolicy', 'organizationalRole', 'top'], cn: 'default', pwdAttribute: 'userPassword', pwdLockout: 'TRUE', pwdMaxFailure: '0' },
    },
    {
      dn: LDAP_BIND_ACCOUNT.dn,
      attributes: {
        objectClass: ['organizationalRole', 'simpleSecurityObject', 'top'],
        cn: 'bridge',
        userPassword: sshaHash(LDAP_BIND_ACCOUNT.password),
      },
    },
    ...users,
    ...groups,
    ...posixGroups,
  ];
}
