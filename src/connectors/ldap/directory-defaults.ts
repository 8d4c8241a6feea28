/**
 * What each kind of directory calls things, so a connector section names only what differs from the usual set-up.
 * Active Directory: https://learn.microsoft.com/en-us/windows/win32/adschema/ (sAMAccountName, userPrincipalName,
 * objectGUID, memberOf); OpenLDAP: inetOrgPerson (RFC 2798), entryUUID (RFC 4530), groupOfNames; FreeIPA / 389 DS:
 * ipaUniqueID, memberOf maintained by the server.
 */
export type DirectoryKind = 'active-directory' | 'openldap' | 'freeipa' | 'generic';

export interface DirectoryDefaults {
  userFilter: string;
  subject: string[];
  username: string;
  email: string[];
  groupSource: 'memberOf' | 'search';
  groupFilter: string;
  memberAttribute: string;
  /** AD evaluates nesting itself with LDAP_MATCHING_RULE_IN_CHAIN; others need a breadth-first search. */
  inChainMatching: boolean;
}

/** LDAP_MATCHING_RULE_IN_CHAIN: https://learn.microsoft.com/en-us/windows/win32/adsi/search-filter-syntax */
export const IN_CHAIN_MATCHING_RULE = '1.2.840.113556.1.4.1941';

export const DIRECTORY_DEFAULTS: Record<DirectoryKind, DirectoryDefaults> = {
  'active-directory': {
    userFilter: '(&(objectCategory=person)(objectClass=user)(|(sAMAccountName={username})(userPrincipalName={username})(mail={username})))',
    subject: ['objectGUID'],
    username: 'sAMAccountName',
    email: ['mail'],
    groupSource: 'memberOf',
    groupFilter: '(&(objectClass=group)(member={dn}))',
    memberAttribute: 'member',
    inChainMatching: true,
  },
  openldap: {
    userFilter: '(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))',
    subject: ['entryUUID'],
    username: 'uid',
    email: ['mail'],
    groupSource: 'memberOf',
    groupFilter: '(&(objectClass=groupOfNames)(member={dn}))',
    memberAttribute: 'member',
    inChainMatching: false,
  },
  freeipa: {
    userFilter: '(&(objectClass=person)(|(uid={username})(mail={username})))',
    subject: ['ipaUniqueID', 'nsUniqueId'],
    username: 'uid',
    email: ['mail'],
    groupSource: 'memberOf',
    groupFilter: '(&(objectClass=groupOfNames)(member={dn}))',
    memberAttribute: 'member',
    inChainMatching: false,
  },
  generic: {
    userFilter: '(|(uid={username})(mail={username}))',
    subject: ['entryUUID'],
    username: 'uid',
    email: ['mail'],
    groupSource: 'search',
    groupFilter: '(|(member={dn})(uniqueMember={dn}))',
    memberAttribute: 'member',
    inChainMatching: false,
  },
};
