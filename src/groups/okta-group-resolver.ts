import type { Dispatcher } from 'undici';
import { GroupLookupError } from './group-lookup-error.js';
import type { GroupResolver } from './group-resolver.js';
import { getJsonRetryingOnce, headerValues, retryAfterMs, sameOrigin, type JsonResponse } from './http-json.js';
import type { OktaApiAuth } from './okta-api-auth.js';

/**
 * Okta groups from the management API when the token's groups claim is missing or may be truncated:
 * `GET {orgUrl}/api/v1/users/{id}/groups`, following `Link: <…>; rel="next"` (cursor paging). The user id is
 * the ID token's `sub` (Okta's user id, `00u…`).
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserResources/#tag/UserResources/operation/listUserGroups
 * https://developer.okta.com/docs/api/#pagination (Link headers)
 */
export interface OktaGroupsOptions {
  /** https://{yourOktaDomain} — the org, not an authorization server path. */
  orgUrl: string;
  auth: OktaApiAuth;
  /** Group names (`profile.name`, what the groups claim carries) or Okta group ids. */
  groupNames: 'name' | 'id';
  timeoutMs: number;
  pageSize: number;
  maxPages: number;
  /** The connector's dispatcher (proxy, CA); default: the shared upstream agent. */
  dispatcher?: Dispatcher | undefined;
}

interface OktaError {
  errorCode?: unknown;
  errorSummary?: unknown;
}

export function createOktaGroupResolver(options: OktaGroupsOptions): GroupResolver {
  const base = options.orgUrl.replace(/\/+$/, '');
  return {
    async resolve({ identity }, deadline) {
      let url: string | undefined = `${base}/api/v1/users/${encodeURIComponent(identity.subject)}/groups?limit=${options.pageSize}`;
      const groups = new Set<string>();
      for (let page = 0; url !== undefined; page++) {
        if (page >= options.maxPages) {
          throw new GroupLookupError('ERR_OKTA_TOO_MANY_PAGES', `Okta groups API: more than ${options.maxPages} pages; raise groups.okta.maxPages`);
        }
        const response = await getJsonRetryingOnce(url, {
          headers: { authorization: await options.auth.authorization(deadline.signal) },
          deadline,
          timeoutMs: options.timeoutMs,
          retryAfterMs: oktaRetryAfterMs,
          dispatcher: options.dispatcher,
        });
        if (response.status !== 200) throw oktaFailure(response.status, response.body);
        if (!Array.isArray(response.body)) {
          throw new GroupLookupError('ERR_OKTA_BAD_RESPONSE', 'Okta groups API answered without a JSON array');
        }
        for (const group of response.body as Record<string, unknown>[]) groups.add(groupName(group, options.groupNames));
        const next = nextLink(headerValues(response.headers, 'link'));
        if (next !== undefined && !sameOrigin(next, base)) {
          throw new GroupLookupError('ERR_OKTA_BAD_NEXT_LINK', `Okta groups API: the next page is not on ${new URL(base).origin}; refusing to send the token there`);
        }
        url = next;
      }
      return [...groups];
    },
  };
}

/**
 * When Okta says to come back: a Retry-After if there is one (a 503, or a proxy in front), else for a 429 the
 * rate-limit window's end, `X-Rate-Limit-Reset` in UTC epoch seconds (Okta's documented rate-limit headers).
 */
export function oktaRetryAfterMs(response: JsonResponse, now = Date.now()): number | undefined {
  const retryAfter = retryAfterMs(response.headers, now);
  if (retryAfter !== undefined || response.status !== 429) return retryAfter;
  const reset = Number(headerValues(response.headers, 'x-rate-limit-reset')[0]);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** The `rel="next"` target among Link headers (one header with several links, or several headers). */
export function nextLink(linkHeaders: readonly string[]): string | undefined {
  for (const header of linkHeaders) {
    for (const part of header.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>(.*)$/.exec(part);
      if (!match) continue;
      const rels = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '')?.[1]?.split(/\s+/) ?? [];
      if (rels.includes('next')) return match[1];
    }
  }
  return undefined;
}

function groupName(group: Record<string, unknown>, wanted: OktaGroupsOptions['groupNames']): string {
  const id = group?.['id'];
  if (typeof id !== 'string' || !id) throw new GroupLookupError('ERR_OKTA_BAD_RESPONSE', 'Okta groups API: a group without an id');
  if (wanted === 'id') return id;
  const name = (group['profile'] as Record<string, unknown> | undefined)?.['name'];
  if (typeof name === 'string' && name) return name;
  throw new GroupLookupError('ERR_OKTA_BAD_RESPONSE', `Okta groups API: group ${id} has no profile.name`);
}

function oktaFailure(status: number, body: unknown): GroupLookupError {
  const error = body as OktaError | undefined;
  const code = typeof error?.errorCode === 'string' ? error.errorCode : 'unknown';
  const summary = typeof error?.errorSummary === 'string' ? `: ${error.errorSummary}` : '';
  const hint =
    status === 401
      ? 'the API token or app token is not valid (revoked, expired, or for another org)'
      : status === 403
        ? 'the token may not read users: give the API token\'s admin a read-only role, or grant okta.users.read to the service app'
        : status === 404
          ? 'no such user: is the connector\'s subject the Okta user id (sub)?'
          : status === 429
            ? 'Okta rate limit reached'
            : status >= 500
              ? 'Okta is unavailable'
              : 'unexpected answer';
  return new GroupLookupError(`ERR_OKTA_HTTP_${status}`, `Okta groups API: HTTP ${status} ${code}${summary} — ${hint}`);
}
