import type { Identity } from '../login/vocabulary.js';
import type { Deadline } from '../login/deadline.js';

/**
 * Where a connector's groups come from when the login answer alone does not carry them all
 * (Entra groups overage → Microsoft Graph, Okta groups API, userinfo …).
 */
export interface GroupLookup {
  realmId: string;
  /** The identity as the connector built it, `groups` holding whatever the token already carried. */
  identity: Identity;
  /** The upstream access token of this login, for sources that call an API as the user. Never cached or logged. */
  accessToken?: string;
}

export interface GroupResolver {
  /** The complete group list for this identity. Throws (or rejects) only when groups cannot be known. */
  resolve(lookup: GroupLookup, deadline: Deadline): Promise<string[]>;
}

/** Groups are exactly what the IdP put in the login answer. */
export const groupsFromLoginAnswer: GroupResolver = {
  resolve: async ({ identity }) => identity.groups,
};
