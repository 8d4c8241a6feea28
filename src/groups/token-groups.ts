import { hasGroupsOverage } from './entra-overage.js';
import { GroupLookupError } from './group-lookup-error.js';
import type { GroupResolver } from './group-resolver.js';

/**
 * Groups are what the connector read from the token / userinfo claims (`claims.groups` paths). The one thing
 * it refuses is a token that says its groups did not fit (Entra overage): answering with the groups it does
 * carry — none — would silently log a member of 200+ groups in as a member of none.
 */
export const groupsFromTokenClaims: GroupResolver = {
  async resolve({ identity }) {
    if (hasGroupsOverage(identity.claims)) {
      throw new GroupLookupError(
        'ERR_GROUPS_OVERAGE',
        'the token says the user has more groups than fit in it (Entra groups overage: _claim_names.groups / hasgroups); ' +
          'set groups.source: graph on this connector so they are read from Microsoft Graph',
      );
    }
    return identity.groups;
  },
};
