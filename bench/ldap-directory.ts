import { Client } from 'ldapts';
import { LDAP_ADMIN, LDAP_BASE_DN, LDAP_PEOPLE_DN, sshaHash } from '../test/support/ldap-fixture.js';
import { passwordOf, tokenGroupsOf, userName } from './fixtures.js';

/**
 * The bench's users (`u0 …`, password `pw-<name>`) in the test slapd, under ou=people, each in the groups the OIDC
 * targets' tokens carry (groupOfNames under ou=bench-groups, so the memberof overlay lists them on the entry and the
 * bench rules match them by cn). Both LDAP targets read the same entries.
 */
const BENCH_GROUPS_DN = `ou=bench-groups,${LDAP_BASE_DN}`;
export const BENCH_LDAP_GROUPS = ['Customers', 'Enterprise', 'Partners'] as const;

export function benchLdapDn(username: string): string {
  return `uid=${username},${LDAP_PEOPLE_DN}`;
}

export async function seedBenchDirectory(url: string, users: number): Promise<void> {
  const client = new Client({ url, timeout: 10_000, connectTimeout: 5_000 });
  try {
    await client.bind(LDAP_ADMIN.dn, LDAP_ADMIN.password);
    await client.add(BENCH_GROUPS_DN, { objectClass: ['organizationalUnit', 'top'], ou: 'bench-groups' });
    const members = new Map<string, string[]>(BENCH_LDAP_GROUPS.map((g) => [g, []]));
    for (let i = 0; i < users; i++) {
      const uid = userName(i);
      await client.add(benchLdapDn(uid), {
        objectClass: ['inetOrgPerson', 'organizationalPerson', 'person', 'top'],
        uid,
        cn: `User ${i}`,
        sn: String(i),
        givenName: 'User',
        mail: `${uid}@example.com`,
        userPassword: sshaHash(passwordOf(uid)),
      });
      for (const group of tokenGroupsOf(uid)) members.get(group)?.push(benchLdapDn(uid));
    }
    for (const [cn, member] of members) {
      if (member.length > 0) await client.add(`cn=${cn},${BENCH_GROUPS_DN}`, { objectClass: ['groupOfNames', 'top'], cn, member });
    }
  } finally {
    await client.unbind();
  }
}
