import type { Entry, SearchOptions } from 'ldapts';
import { Filter } from 'ldapts';
import { GroupLookupError } from '../../groups/group-lookup-error.js';
import { IN_CHAIN_MATCHING_RULE } from './directory-defaults.js';
import { firstRdnValue, normalizeDn } from './ldap-dn.js';
import { fillFilter } from './ldap-escape.js';

/**
 * Which groups a directory entry is in, nested groups included, as group DNs (and their `cn` where the server
 * sent it). Active Directory evaluates nesting itself (LDAP_MATCHING_RULE_IN_CHAIN); for other servers the groups
 * of groups are followed breadth-first, one level per round, up to `maxDepth` levels and `maxGroups` groups, and a
 * group seen once is never followed again, so membership loops end.
 */
export interface GroupPlan {
  source: 'memberOf' | 'search' | 'none';
  nested: boolean;
  inChain: boolean;
  maxDepth: number;
  maxGroups: number;
  /** Where group searches start. */
  base: string;
  /** `{dn}`, `{uid}`, `{username}` placeholders. */
  filter: string;
  /** The group attribute that lists member DNs (`member`, `uniqueMember`). */
  memberAttribute: string;
}

export interface GroupMember {
  dn: string;
  /** The entry's uid (for `memberUid={uid}` searches) and the typed username. */
  uid: string;
  username: string;
  /** The entry's memberOf values, when the entry was read with them. */
  memberOf: readonly string[];
}

export type DirectorySearch = (base: string, options: SearchOptions) => Promise<Entry[]>;

export interface FoundGroup {
  dn: string;
  cn?: string;
}

/** Several DNs per search in the breadth-first walk, so a level costs one round trip for most people. */
const DNS_PER_SEARCH = 50;

export async function findGroups(plan: GroupPlan, member: GroupMember, search: DirectorySearch): Promise<FoundGroup[]> {
  if (plan.source === 'none') return [];
  const found = new Map<string, FoundGroup>();
  const add = (group: FoundGroup): boolean => {
    const key = normalizeDn(group.dn);
    const known = found.get(key);
    if (known) {
      if (!known.cn && group.cn) known.cn = group.cn;
      return false;
    }
    if (found.size >= plan.maxGroups) {
      throw new GroupLookupError('ERR_LDAP_TOO_MANY_GROUPS', `more than ${plan.maxGroups} groups for ${member.dn}: raise groups.maxGroups`);
    }
    found.set(key, { ...group });
    return true;
  };

  if (plan.nested && plan.inChain) {
    const filter = `(${plan.memberAttribute}:${IN_CHAIN_MATCHING_RULE}:=${Filter.escape(member.dn)})`;
    for (const entry of await search(plan.base, { scope: 'sub', filter, attributes: ['cn'] })) add(asGroup(entry));
    return [...found.values()];
  }

  let frontier: FoundGroup[];
  if (plan.source === 'memberOf') {
    frontier = member.memberOf.map((dn) => ({ dn })).filter(add);
  } else {
    const filter = fillFilter(plan.filter, { dn: member.dn, uid: member.uid, username: member.username });
    frontier = (await search(plan.base, { scope: 'sub', filter, attributes: ['cn'] })).map(asGroup).filter(add);
  }
  if (!plan.nested) return [...found.values()];

  for (let depth = 1; depth < plan.maxDepth && frontier.length > 0; depth++) {
    const next: FoundGroup[] = [];
    for (let i = 0; i < frontier.length; i += DNS_PER_SEARCH) {
      const chunk = frontier.slice(i, i + DNS_PER_SEARCH);
      const parents = plan.source === 'memberOf' ? await parentsByMemberOf(chunk, search) : await parentsBySearch(plan, chunk, search);
      for (const parent of parents) if (add(parent)) next.push(parent);
    }
    frontier = next;
  }
  return [...found.values()];
}

/** The groups' own memberOf values (the server maintains them on groups too). */
async function parentsByMemberOf(groups: FoundGroup[], search: DirectorySearch): Promise<FoundGroup[]> {
  const answers = await Promise.all(groups.map((group) => search(group.dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['memberOf'] })));
  return answers.flatMap((entries) => entries.flatMap((entry) => stringValues(entry, 'memberOf').map((dn) => ({ dn }))));
}

async function parentsBySearch(plan: GroupPlan, groups: FoundGroup[], search: DirectorySearch): Promise<FoundGroup[]> {
  const terms = groups.map((group) => `(${plan.memberAttribute}=${Filter.escape(group.dn)})`).join('');
  const filter = groups.length === 1 ? terms : `(|${terms})`;
  return (await search(plan.base, { scope: 'sub', filter, attributes: ['cn'] })).map(asGroup);
}

function asGroup(entry: Entry): FoundGroup {
  const [cn] = stringValues(entry, 'cn');
  return cn ? { dn: entry.dn, cn } : { dn: entry.dn };
}

/** A group's name as the rules see it. */
export function groupName(group: FoundGroup, names: 'cn' | 'dn'): string {
  if (names === 'dn') return group.dn;
  return group.cn ?? firstRdnValue(group.dn) ?? group.dn;
}

/** An attribute's string values, whatever the case the server spelt its name in. */
export function stringValues(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  for (const [name, value] of Object.entries(entry)) {
    if (name.toLowerCase() !== wanted || name === 'dn') continue;
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))).filter((v) => v !== '');
  }
  return [];
}
