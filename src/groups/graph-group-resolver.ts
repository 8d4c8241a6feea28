import type { Dispatcher } from 'undici';
import { GroupLookupError } from './group-lookup-error.js';
import type { GroupResolver } from './group-resolver.js';
import { getJsonRetryingOnce, sameOrigin } from './http-json.js';

/**
 * Microsoft Entra ID groups from Microsoft Graph: `GET {baseUrl}/me/transitiveMemberOf`, every page, groups only.
 *
 * It calls Graph as the signed-in user, with the access token of the login itself (the connector asks for a
 * Graph scope, so that token's audience is Graph — a token is for one resource only). Why not an app token
 * (client credentials, `/users/{oid}/transitiveMemberOf`):
 * - least privilege: the delegated `User.Read` (ids) or `GroupMember.Read.All` (names) reads this user's own
 *   memberships while they log in; an application permission reads every user's, at any time, with a secret;
 * - no second credential and no token kept between logins: the user's token lives for one login, and only
 *   the resulting group list is cached;
 * - it works for public clients (no secret), and costs no extra token request.
 * https://learn.microsoft.com/en-us/graph/api/user-list-transitivememberof (permissions, paging, $select)
 */
export interface GraphGroupsOptions {
  /** `https://graph.microsoft.com/v1.0`; sovereign clouds have their own hosts (graph.microsoft.us, …). */
  baseUrl: string;
  /** Object ids (stable, what the `groups` claim carries) or display names (what people write in rules). */
  groupNames: 'id' | 'displayName';
  /** Bound on each Graph call. */
  timeoutMs: number;
  /** Safety bound on `@odata.nextLink` pages (999 entries each). */
  maxPages: number;
  /** The connector's dispatcher (proxy, CA); default: the shared upstream agent. */
  dispatcher?: Dispatcher | undefined;
}

const GROUP_TYPE = '#microsoft.graph.group';

interface GraphPage {
  value?: unknown;
  '@odata.nextLink'?: unknown;
}

interface GraphError {
  error?: { code?: unknown; message?: unknown };
}

/** Always asks Graph; `graphLookupNeeded` decides whether a login needs it at all. */
export function createGraphGroupResolver(options: GraphGroupsOptions): GroupResolver {
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async resolve({ accessToken }, deadline) {
      if (!accessToken) {
        throw new GroupLookupError('ERR_GRAPH_NO_TOKEN', 'Microsoft Graph: the login returned no access token to call Graph with');
      }
      // $top=999: Graph's largest page (default 100), so most users take one call. @odata.type comes with
      // every directoryObject even under $select; directory roles and administrative units are skipped.
      let url: string | undefined = `${base}/me/transitiveMemberOf?$select=id,displayName&$top=999`;
      const groups = new Set<string>();
      for (let page = 0; url !== undefined; page++) {
        if (page >= options.maxPages) {
          throw new GroupLookupError('ERR_GRAPH_TOO_MANY_PAGES', `Microsoft Graph: more than ${options.maxPages} pages of memberships; raise groups.graph.maxPages`);
        }
        // Graph throttles with 429 (and sheds load with 503) and says in Retry-After when to come back.
        const response = await getJsonRetryingOnce(url, {
          headers: { authorization: `Bearer ${accessToken}` },
          deadline,
          timeoutMs: options.timeoutMs,
          dispatcher: options.dispatcher,
        });
        if (response.status !== 200) throw graphFailure(response.status, response.body);
        const body = (response.body ?? {}) as GraphPage;
        if (!Array.isArray(body.value)) {
          throw new GroupLookupError('ERR_GRAPH_BAD_RESPONSE', 'Microsoft Graph: transitiveMemberOf answered without a "value" array');
        }
        for (const entry of body.value as Record<string, unknown>[]) {
          if (entry === null || typeof entry !== 'object' || entry['@odata.type'] !== GROUP_TYPE) continue;
          groups.add(groupName(entry, options.groupNames));
        }
        const next = body['@odata.nextLink'];
        if (next === undefined || next === null) {
          url = undefined;
        } else if (typeof next === 'string' && sameOrigin(next, base)) {
          url = next;
        } else {
          throw new GroupLookupError('ERR_GRAPH_BAD_NEXT_LINK', `Microsoft Graph: @odata.nextLink does not point at ${new URL(base).origin}; refusing to send the token there`);
        }
      }
      return [...groups];
    },
  };
}

function groupName(entry: Record<string, unknown>, wanted: GraphGroupsOptions['groupNames']): string {
  const id = entry['id'];
  if (typeof id !== 'string' || !id) throw new GroupLookupError('ERR_GRAPH_BAD_RESPONSE', 'Microsoft Graph: a group without an id');
  if (wanted === 'id') return id;
  const name = entry['displayName'];
  if (typeof name === 'string' && name) return name;
  // Graph returns only id and type for objects the token may not read ("limited information"): with
  // User.Read alone, groups come back nameless. Dropping them would be the silent loss this must never be.
  throw new GroupLookupError(
    'ERR_GRAPH_NO_DISPLAY_NAME',
    `Microsoft Graph returned group ${id} without a displayName: grant (and admin-consent) the delegated ` +
      'GroupMember.Read.All permission and request it in scopes, or use groups.graph.groupNames: id',
  );
}

function graphFailure(status: number, body: unknown): GroupLookupError {
  const error = (body as GraphError | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : 'unknown';
  const hint =
    status === 401
      ? "the login's access token is not accepted by Graph: its audience must be Graph — put a Graph scope (e.g. https://graph.microsoft.com/User.Read) in the connector's scopes"
      : status === 403
        ? 'the token lacks the permission: grant and admin-consent User.Read (ids) or GroupMember.Read.All (names)'
        : status === 429
          ? 'Graph is throttling this app'
          : status >= 500
            ? 'Graph is unavailable'
            : 'unexpected answer';
  return new GroupLookupError(`ERR_GRAPH_HTTP_${status}`, `Microsoft Graph transitiveMemberOf: HTTP ${status} ${code} — ${hint}`);
}
