import type { Identity } from '../login/vocabulary.js';
import type { GroupResolver } from './group-resolver.js';

/**
 * The token's groups when they are complete; a directory API (usually behind the cache) when they are not.
 * Only the API's answer is cached: the token's own claims are fresher than any cache.
 */
export interface ClaimFirstOptions {
  /** Whether this login's claims leave the groups incomplete (overage, truncated, missing, ids not names). */
  needsLookup(identity: Identity): boolean;
  /**
   * The claim the API answer replaces. Groups the connector took from other claims (`roles`,
   * `realm_access.roles`, …) are kept beside it.
   */
  groupsClaim: string;
}

export function createClaimFirstResolver(options: ClaimFirstOptions, lookup: GroupResolver): GroupResolver {
  return {
    async resolve(request, deadline) {
      const { identity } = request;
      if (!options.needsLookup(identity)) return identity.groups;
      const fromApi = await lookup.resolve(request, deadline);
      const replaced = new Set(stringList(identity.claims[options.groupsClaim]));
      const kept = identity.groups.filter((group) => !replaced.has(group));
      return [...new Set([...kept, ...fromApi])];
    },
  };
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
