import { InvalidCredentialsError, ResultCodeError, SizeLimitExceededError, type Entry } from 'ldapts';
import type { Deadline } from '../../login/deadline.js';
import type { PasswordConnector } from '../../login/password-connector.js';
import type { Identity, LoginAttempt, LoginOutcome } from '../../login/vocabulary.js';
import { createCachedGroupResolver, type GroupCacheOptions } from '../../groups/cached-group-resolver.js';
import { GroupLookupError } from '../../groups/group-lookup-error.js';
import type { GroupResolver } from '../../groups/group-resolver.js';
import { readAdBindError } from './ad-bind-errors.js';
import { DIRECTORY_DEFAULTS } from './directory-defaults.js';
import { domainSuffix } from './ldap-dn.js';
import { fillDnTemplate, fillFilter, logonNameAllowed } from './ldap-escape.js';
import { isDnTemplate, type LdapConnectorConfig } from './ldap-config.js';
import { findGroups, groupName, type DirectorySearch, type GroupPlan } from './ldap-groups.js';
import { attributesToRead, BINARY_ATTRIBUTES, identityFromEntry, type AttributeMap } from './ldap-identity.js';
import { LdapSession, LdapTransportError, ServerList } from './ldap-session.js';
import { ServicePool } from './service-pool.js';
import { besideNodeRoots, readCaFile } from '../../login/upstream-agent.js';

/** An operator-facing failure: says what to fix; never holds a password. */
export class LdapConnectorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LdapConnectorError';
  }
}

export interface LdapConnectorDeps {
  groupResolver?: GroupResolver;
  groupCache?: GroupCacheOptions;
}

/** Bound on one shared (coalesced) group lookup; each login also stops at its own deadline. */
const SHARED_GROUP_LOOKUP_MS = 15_000;

/**
 * LDAP and Active Directory through ldapts: search-then-bind with a service account (the usual set-up), or a
 * direct bind with a DN / UPN template. The person's password is checked by a bind on a connection of its own;
 * searches use a small pool of service connections. Every value put into a filter or DN is escaped.
 */
export function createLdapConnector(config: LdapConnectorConfig, deps: LdapConnectorDeps = {}): PasswordConnector {
  const defaults = DIRECTORY_DEFAULTS[config.directory];
  const servers = new ServerList({
    urls: config.urls,
    startTls: config.tls.startTls,
    ...(config.tls.ca ? { ca: config.tls.ca } : config.caFile ? { ca: besideNodeRoots(readCaFile(config.caFile)) } : {}),
    ...(config.tls.servername ? { servername: config.tls.servername } : {}),
    verifyCertificate: config.tls.verifyCertificate,
    connectMs: config.timeouts.connectMs,
    operationMs: config.timeouts.operationMs,
  });
  const service = config.serviceAccount;
  const pool = service
    ? new ServicePool({
        size: config.pool.size,
        idleMs: config.pool.idleMs,
        open: async (deadline) => {
          try {
            return await servers.openBound(service.dn, service.password, deadline);
          } catch (err) {
            if (!(err instanceof ResultCodeError)) throw err;
            throw new LdapConnectorError(
              'ERR_LDAP_SERVICE_BIND',
              `${config.id}: the directory refused the service account's bind (${err.code} ${err.message}): check serviceAccount.dn and its password`,
              { cause: err },
            );
          }
        },
      })
    : undefined;

  const attributes: AttributeMap = {
    subject: config.attributes.subject ?? defaults.subject,
    username: config.attributes.username ?? defaults.username,
    email: config.attributes.email ?? defaults.email,
    proxyAddresses: config.attributes.proxyAddresses,
    givenName: config.attributes.givenName,
    familyName: config.attributes.familyName,
    displayName: config.attributes.displayName,
    phone: config.attributes.phone,
    title: config.attributes.title,
    extra: config.attributes.extra,
  };
  const groupSource = config.groups.source ?? defaults.groupSource;
  const readAttributes = attributesToRead(attributes, groupSource === 'memberOf');
  const userFilter = config.userSearch?.filter ?? defaults.userFilter;
  // All of a group lookup's plan but its base, which may come from the person's DN.
  const planWithoutBase: Omit<GroupPlan, 'base'> = {
    source: groupSource,
    nested: config.groups.nested,
    inChain: defaults.inChainMatching,
    maxDepth: config.groups.maxDepth,
    maxGroups: config.groups.maxGroups,
    filter: config.groups.filter ?? defaults.groupFilter,
    memberAttribute: config.groups.memberAttribute ?? defaults.memberAttribute,
  };

  // Groups are read on the person's own connection in direct mode (there is no service account), on a pooled
  // service connection otherwise. The cache and coalescing are the bridge's, as for Graph and Okta.
  const userSessions = new WeakMap<Identity, LdapSession>();
  const groupLookup: GroupResolver = {
    async resolve({ identity }, deadline) {
      const dn = String(identity.claims['dn']);
      const plan: GroupPlan = { ...planWithoutBase, base: config.groups.base ?? domainSuffix(dn) ?? config.userSearch?.base ?? dn };
      const member = {
        dn,
        uid: stringClaim(identity.claims['uid']) ?? identity.username,
        username: identity.username,
        memberOf: listClaim(identity.claims['memberOf']),
      };
      const own = userSessions.get(identity);
      const run = async (session: LdapSession) => {
        const search: DirectorySearch = async (base, options) => (await session.search(base, options, deadline)).searchEntries;
        return (await findGroups(plan, member, search)).map((group) => groupName(group, config.groups.names));
      };
      try {
        if (own?.usable) return await run(own);
        if (pool) return await pool.run(deadline, run);
        throw new GroupLookupError('ERR_LDAP_GROUPS_NO_CONNECTION', `${config.id}: no connection left to read groups on`);
      } catch (err) {
        if (err instanceof GroupLookupError) throw err;
        throw new GroupLookupError('ERR_LDAP_GROUPS', `${config.id}: group lookup failed: ${(err as Error).message}`, { cause: err });
      }
    },
  };
  const groupResolver =
    deps.groupResolver ??
    (deps.groupCache && groupSource !== 'none'
      ? createCachedGroupResolver(groupLookup, { ...deps.groupCache, connectorId: config.id, lookupTimeoutMs: SHARED_GROUP_LOOKUP_MS })
      : groupLookup);

  const searchUser = async (session: LdapSession | undefined, username: string, deadline: Deadline): Promise<Entry[] | 'ambiguous'> => {
    const base = config.userSearch!.base;
    const filter = fillFilter(userFilter, { username });
    const options = {
      scope: config.userSearch!.scope,
      filter,
      attributes: readAttributes,
      explicitBufferAttributes: BINARY_ATTRIBUTES,
      // Two are enough to know the answer is not one person.
      sizeLimit: 2,
    };
    const run = async (s: LdapSession) => {
      try {
        return (await s.search(base, options, deadline)).searchEntries;
      } catch (err) {
        if (err instanceof SizeLimitExceededError) return 'ambiguous' as const;
        throw err;
      }
    };
    if (session) return run(session);
    return pool!.run(deadline, run);
  };

  const loginSearchThenBind = async (attempt: LoginAttempt, deadline: Deadline): Promise<LoginOutcome> => {
    const found = await searchUser(undefined, attempt.username, deadline);
    if (found === 'ambiguous' || found.length > 1) {
      return misconfigured('ERR_LDAP_AMBIGUOUS_USER', `${config.id}: more than one entry matches the username; refusing rather than guessing (make userSearch.filter match one entry per person)`);
    }
    const entry = found[0];
    if (!entry) return { kind: 'unknown_user' };
    let session: LdapSession;
    try {
      session = await servers.openBound(entry.dn, attempt.password, deadline);
    } catch (err) {
      return bindRefusal(config, err, 'search');
    }
    // The search already read the entry; the person's own connection is not needed any further.
    session.close();
    return withGroups(attempt, entry, deadline);
  };

  const loginDirect = async (attempt: LoginAttempt, deadline: Deadline): Promise<LoginOutcome> => {
    const template = config.bindTemplate!;
    const asDn = isDnTemplate(template);
    if (!asDn && !logonNameAllowed(attempt.username)) return { kind: 'invalid_credentials' };
    const bindName = asDn ? fillDnTemplate(template, attempt.username) : template.split('{username}').join(attempt.username);
    let session: LdapSession;
    try {
      session = await servers.openBound(bindName, attempt.password, deadline);
    } catch (err) {
      return bindRefusal(config, err, 'direct');
    }
    try {
      let entries: Entry[] | 'ambiguous';
      if (config.userSearch) {
        entries = await searchUser(session, attempt.username, deadline);
      } else {
        const read = await session.search(bindName, { scope: 'base', filter: '(objectClass=*)', attributes: readAttributes, explicitBufferAttributes: BINARY_ATTRIBUTES }, deadline);
        entries = read.searchEntries;
      }
      if (entries === 'ambiguous' || entries.length !== 1) {
        return misconfigured(
          'ERR_LDAP_ENTRY_NOT_READABLE',
          `${config.id}: the bind succeeded but ${entries === 'ambiguous' || entries.length > 1 ? 'several entries' : 'no entry'} could be read for the user (check userSearch and the directory's read rights for users)`,
        );
      }
      return await withGroups(attempt, entries[0]!, deadline, session);
    } finally {
      session.close();
    }
  };

  const withGroups = async (attempt: LoginAttempt, entry: Entry, deadline: Deadline, own?: LdapSession): Promise<LoginOutcome> => {
    const identity = identityFromEntry(entry, attributes, config.id, attempt.username);
    if (groupSource === 'none' && !deps.groupResolver) return { kind: 'ok', identity };
    if (own) userSessions.set(identity, own);
    try {
      identity.groups = await groupResolver.resolve({ realmId: attempt.realmId, identity }, deadline);
    } catch (err) {
      // Logging in with no groups could land a person in the wrong Kayako group: refuse instead.
      return { kind: 'unavailable', cause: new LdapConnectorError('ERR_GROUPS_UNAVAILABLE', `${config.id}: ${(err as Error).message}`, { cause: err }) };
    } finally {
      userSessions.delete(identity);
    }
    return { kind: 'ok', identity };
  };

  return {
    id: config.id,
    type: 'ldap',
    async login(attempt, deadline): Promise<LoginOutcome> {
      // A simple bind with an empty password is an anonymous bind (RFC 4513 §5.1.2), which "succeeds".
      if (attempt.password === '' || attempt.username.trim() === '') return { kind: 'invalid_credentials' };
      try {
        return config.bind === 'search' ? await loginSearchThenBind(attempt, deadline) : await loginDirect(attempt, deadline);
      } catch (err) {
        return failureFromError(config, err);
      }
    },
    async prepare(deadline) {
      // Readiness: a service bind (or, without a service account, a server that answers).
      if (pool) {
        await pool.warm(deadline);
      } else {
        (await servers.openAnonymous(deadline)).close();
      }
    },
    async close() {
      await pool?.close();
    },
  };
}

/** What a refused bind means for the person: AD's sub-code when there is one, else a wrong password. */
function bindRefusal(config: LdapConnectorConfig, err: unknown, mode: 'search' | 'direct'): LoginOutcome {
  if (err instanceof InvalidCredentialsError) {
    const ad = readAdBindError(err.message);
    if (ad) {
      switch (ad.kind) {
        case 'invalid_credentials':
          return { kind: 'invalid_credentials' };
        case 'unknown_user':
          // Search-then-bind found the entry, so "no such user" there is a wrong password to the person.
          return mode === 'direct' ? { kind: 'unknown_user' } : { kind: 'invalid_credentials' };
        default:
          return { kind: ad.kind, detail: `${config.id}: ${ad.detail}` };
      }
    }
    return { kind: 'invalid_credentials' };
  }
  return failureFromError(config, err);
}

function failureFromError(config: LdapConnectorConfig, err: unknown): LoginOutcome {
  if (err instanceof LdapConnectorError) return { kind: 'misconfigured', cause: err };
  if (err instanceof LdapTransportError) {
    if (err.code === 'ERR_LDAP_TLS_VERIFY') return { kind: 'misconfigured', cause: new LdapConnectorError(err.code, `${config.id}: ${err.message}`, { cause: err }) };
    return { kind: 'unavailable', cause: new LdapConnectorError(err.code, `${config.id}: ${err.message}`, { cause: err }) };
  }
  if (err instanceof ResultCodeError) {
    const busy = err.code === 51 || err.code === 52 || err.code === 3;
    const cause = new LdapConnectorError(`ERR_LDAP_RESULT_${err.code}`, `${config.id}: the directory answered ${err.name} (${err.code}): ${err.message}`, { cause: err });
    return busy ? { kind: 'unavailable', cause } : { kind: 'misconfigured', cause };
  }
  throw err;
}

function misconfigured(code: string, message: string): LoginOutcome {
  return { kind: 'misconfigured', cause: new LdapConnectorError(code, message) };
}

function stringClaim(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function listClaim(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

