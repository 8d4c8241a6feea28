import type { Dispatcher } from 'undici';
import { createCachedGroupResolver, type GroupCacheOptions } from './cached-group-resolver.js';
import { createClaimFirstResolver } from './claim-first-resolver.js';
import { hasGroupsOverage } from './entra-overage.js';
import { createGraphGroupResolver } from './graph-group-resolver.js';
import type { GroupResolver } from './group-resolver.js';
import type { GroupsConfig } from './groups-config.js';
import { createOktaApiAuth } from './okta-api-auth.js';
import { createOktaGroupResolver } from './okta-group-resolver.js';
import { groupsFromTokenClaims } from './token-groups.js';

export { createCachedGroupResolver, groupCacheKey, type GroupCacheOptions } from './cached-group-resolver.js';
export { GroupLookupError } from './group-lookup-error.js';
export type { GroupLookup, GroupResolver } from './group-resolver.js';
export { groupsConfigSchema, type GroupsConfig } from './groups-config.js';
export { groupsFromTokenClaims } from './token-groups.js';

export interface GroupResolverContext {
  connectorId: string;
  /** The connector's issuer: Okta's org URL defaults to its origin. */
  issuer: string;
  /** Loopback tests only (http:// token endpoints). */
  allowInsecureHttp: boolean;
  /** The connector's dispatcher (proxy, CA) for the group APIs; default: the shared upstream agent. */
  dispatcher?: Dispatcher | undefined;
  /** The bridge's shared cache; absent = every lookup goes upstream. */
  cache?: GroupCacheOptions;
}

/** Bound on one shared (coalesced) API lookup, all pages included; every caller also stops at its own deadline. */
const SHARED_LOOKUP_TIMEOUT_MS = 30_000;

/** The resolver a connector's `groups` section describes. */
export function createGroupResolver(config: GroupsConfig, context: GroupResolverContext): GroupResolver {
  const cached = (api: GroupResolver): GroupResolver =>
    context.cache
      ? createCachedGroupResolver(api, { ...context.cache, connectorId: context.connectorId, lookupTimeoutMs: SHARED_LOOKUP_TIMEOUT_MS })
      : api;

  switch (config.source) {
    case 'token':
      return groupsFromTokenClaims;
    case 'graph': {
      const graph = config.graph;
      const api = createGraphGroupResolver({ ...graph, dispatcher: context.dispatcher });
      return createClaimFirstResolver(
        {
          // Ids are in the token unless it overflowed; names never are.
          needsLookup: (identity) => graph.groupNames === 'displayName' || hasGroupsOverage(identity.claims, graph.claim),
          groupsClaim: graph.claim,
        },
        cached(api),
      );
    }
    case 'okta': {
      const okta = config.okta;
      const orgUrl = okta.orgUrl ?? new URL(context.issuer).origin;
      const auth = createOktaApiAuth(okta.auth, { orgUrl, timeoutMs: okta.timeoutMs, allowInsecureHttp: context.allowInsecureHttp, dispatcher: context.dispatcher });
      const api = createOktaGroupResolver({ ...okta, orgUrl, auth, dispatcher: context.dispatcher });
      return createClaimFirstResolver(
        {
          needsLookup: (identity) => {
            const claim = identity.claims[okta.claim];
            return !Array.isArray(claim) || claim.length >= okta.claimLimit;
          },
          groupsClaim: okta.claim,
        },
        cached(api),
      );
    }
  }
}
