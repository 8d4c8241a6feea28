import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import { clientCredentials, close, listen, readBody, send } from './fake-http.js';

/**
 * An Okta org on loopback, speaking the documented wire formats: discovery + JWKS of the org authorization
 * server or of a custom one (`/oauth2/default`), the token endpoint's password grant with real RS256 ID tokens
 * (groups claim silently cut at 100), client credentials with private_key_jwt for an API service app, and the
 * management API's list-user-groups with cursor paging in `Link` headers.
 *
 * Sources, cited at each behaviour below:
 * [password] https://developer.okta.com/docs/guides/implement-grant-type/ropassword/main/ (request, tokens)
 * [oauth]    https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS/ (token endpoint errors, discovery)
 * [claims]   https://developer.okta.com/docs/reference/api/oidc/#id-token-claims (sub = user id, ver, amr, idp …)
 * [groups]   https://developer.okta.com/docs/guides/customize-tokens-groups-claim/main/ (groups claim, groups scope of
 *            the org AS); the silent cut at 100 groups: https://developer.hashicorp.com/vault/docs/auth/jwt/oidc-providers/okta
 * [service]  https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/ (client credentials,
 *            private_key_jwt, aud = token endpoint, okta.* scopes)
 * [api]      https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserResources/#tag/UserResources/operation/listUserGroups
 * [paging]   https://developer.okta.com/docs/api/#pagination (Link: <…>; rel="self" / rel="next", `after` cursor, `limit`)
 * [apierr]   https://developer.okta.com/docs/reference/error-codes/ (errorCode E0000011, E0000006, E0000007 …)
 * [direct]   https://developer.okta.com/docs/guides/configure-direct-auth-grants/ (mfa_required + mfa_token)
 * [ratelimit] https://developer.okta.com/docs/reference/rl-best-practices/ (429 E0000047 with X-Rate-Limit-Limit,
 *            -Remaining and -Reset, the reset in UTC epoch seconds)
 */
export interface FakeOktaUser {
  login: string;
  password: string;
  firstName: string;
  lastName: string;
  email: string;
  /** Group names besides "Everyone", which every Okta user is in. */
  groups: string[];
  status?: 'ACTIVE' | 'LOCKED_OUT' | 'SUSPENDED' | 'PASSWORD_EXPIRED';
  /** Assigned to the OIDC app (default true). */
  assigned?: boolean;
  /** An authentication policy requires MFA for this user. */
  mfaRequired?: boolean;
}

export interface FakeOktaOptions {
  /** `org` (issuer = the org URL) or `default` (the custom authorization server /oauth2/default). */
  authorizationServer?: 'org' | 'default';
  clientId?: string;
  clientSecret?: string;
  /** Grant types enabled on the OIDC app; default password + authorization_code. */
  grantTypes?: string[];
  /** The app's groups claim (filter `.*`). Default true. */
  groupsClaim?: boolean;
  /** An SSWS API token the management API accepts. */
  apiToken?: string;
  /** An API service app: its public key and granted okta.* scopes. */
  serviceApp?: { clientId: string; publicJwk: JWK; scopes: string[] };
  /** Largest `limit` the groups API honours. */
  maxPageSize?: number;
  users: FakeOktaUser[];
}

export interface FakeOkta {
  orgUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  apiToken: string;
  userId(login: string): string;
  counters(): { tokenRequests: number; appTokenRequests: number; groupsApiRequests: number };
  resetCounters(): void;
  /**
   * The next `times` (default 1) list-user-groups requests answer `status`: 429 as Okta's rate limit does
   * [ratelimit] (E0000047, X-Rate-Limit-* headers, the reset `resetInSeconds` from now), anything else as E0000009;
   * with `retryAfterSeconds`, a Retry-After header too (what a proxy in front of Okta, or a 503, may send).
   */
  failGroups(status: number, options?: { times?: number; resetInSeconds?: number; retryAfterSeconds?: number }): void;
  stop(): Promise<void>;
}

/** The groups claim holds at most this many groups; the rest are dropped without a trace [groups]. */
export const OKTA_GROUPS_CLAIM_LIMIT = 100;

export async function startFakeOkta(options: FakeOktaOptions): Promise<FakeOkta> {
  const clientId = options.clientId ?? '0oa1kayakobridge0x7';
  const clientSecret = options.clientSecret ?? 'okta-client-secret';
  const apiToken = options.apiToken ?? `00${randomBytes(20).toString('base64url')}`;
  const grantTypes = options.grantTypes ?? ['password', 'authorization_code'];
  const groupsClaim = options.groupsClaim ?? true;
  const maxPageSize = options.maxPageSize ?? 10_000;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomBytes(8).toString('hex');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const users = new Map(options.users.map((u) => [u.login.toLowerCase(), u]));
  const appTokens = new Map<string, { scopes: string[]; expires: number }>();

  let tokenRequests = 0;
  let appTokenRequests = 0;
  let groupsApiRequests = 0;
  let groupsFailure: { status: number; times: number; resetInSeconds: number | undefined; retryAfterSeconds: number | undefined } | undefined;

  const server = createServer((req, res) => void handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) })));
  const orgUrl = await listen(server);
  const asPath = options.authorizationServer === 'default' ? '/oauth2/default' : '';
  const issuer = `${orgUrl}${asPath}`;
  // [oauth] the org AS serves /oauth2/v1/*, a custom AS /oauth2/{id}/v1/*.
  const endpoints = asPath ? `${issuer}/v1` : `${orgUrl}/oauth2/v1`;
  const scopesSupported = asPath
    ? ['openid', 'profile', 'email', 'address', 'phone', 'offline_access']
    : ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'groups'];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', orgUrl);
    if (req.method === 'GET' && url.pathname === `${asPath}/.well-known/openid-configuration`) {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${endpoints}/authorize`,
        token_endpoint: `${endpoints}/token`,
        userinfo_endpoint: `${endpoints}/userinfo`,
        jwks_uri: `${endpoints}/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token'],
        grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: scopesSupported,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
      });
    }
    if (req.method === 'GET' && url.pathname === new URL(`${endpoints}/keys`).pathname) return send(res, 200, { keys: [jwk] });
    if (req.method === 'POST' && url.pathname === new URL(`${endpoints}/token`).pathname) return token(req, res);
    // The org AS's token endpoint also serves service apps when a custom AS is the login issuer.
    if (req.method === 'POST' && url.pathname === '/oauth2/v1/token') return token(req, res);
    const groupsPath = /^\/api\/v1\/users\/([^/]+)\/groups$/.exec(url.pathname);
    if (req.method === 'GET' && groupsPath) return listUserGroups(req, res, url, decodeURIComponent(groupsPath[1]!));
    return apiError(res, 404, 'E0000022', 'The endpoint does not support the provided HTTP method');
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const grant = form.get('grant_type');
    if (grant === 'client_credentials') return serviceToken(req, res, form);
    tokenRequests++;
    const client = clientCredentials(req, form);
    if (client.id !== clientId || client.secret !== clientSecret) {
      return send(res, 401, { error: 'invalid_client', error_description: 'The client secret supplied for a confidential client is invalid.' });
    }
    if (grant !== 'password' || !grantTypes.includes('password')) {
      return send(res, 400, {
        error: 'unauthorized_client',
        error_description: `The client is not authorized to use the provided grant type. Configured grant types: [${grantTypes.join(', ')}].`,
      });
    }
    const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const unknown = scopes.filter((s) => !scopesSupported.includes(s));
    if (unknown.length > 0) {
      return send(res, 400, { error: 'invalid_scope', error_description: 'One or more scopes are not configured for the authorization server resource.' });
    }
    const user = users.get((form.get('username') ?? '').toLowerCase());
    // [password] every credential problem (unknown user, wrong password, locked, suspended) is the same answer.
    if (!user || user.password !== form.get('password') || (user.status ?? 'ACTIVE') !== 'ACTIVE') {
      return send(res, 400, { error: 'invalid_grant', error_description: 'The credentials provided were invalid.' });
    }
    if (user.assigned === false) {
      return send(res, 400, { error: 'access_denied', error_description: 'User is not assigned to the client application.' });
    }
    if (user.mfaRequired) {
      // [direct] the password grant stops at MFA with an mfa_token for the MFA-capable grants.
      return send(res, 403, { error: 'mfa_required', error_description: 'MFA is required for this request.', mfa_token: randomBytes(24).toString('base64url') });
    }
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      ver: 1,
      jti: `ID.${randomBytes(16).toString('base64url')}`,
      amr: ['pwd'],
      idp: '00o1okta0rg0000000x7',
      auth_time: now,
      name: `${user.firstName} ${user.lastName}`,
      preferred_username: user.login,
    };
    if (scopes.includes('email')) Object.assign(claims, { email: user.email, email_verified: true });
    if (scopes.includes('profile')) Object.assign(claims, { given_name: user.firstName, family_name: user.lastName });
    // [groups] org AS: with the `groups` scope; custom AS: a claim defined on the server (any scope here).
    if (groupsClaim && (asPath !== '' || scopes.includes('groups'))) {
      claims['groups'] = membershipsOf(user).slice(0, OKTA_GROUPS_CLAIM_LIMIT);
    }
    const idToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setSubject(userId(user.login))
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    return send(res, 200, {
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: `eyJ.${randomBytes(24).toString('base64url')}`,
      scope: scopes.join(' '),
      id_token: idToken,
    });
  }

  /** [service] client credentials with private_key_jwt: the assertion's aud is the token endpoint URL. */
  async function serviceToken(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    appTokenRequests++;
    const service = options.serviceApp;
    const assertion = form.get('client_assertion');
    if (!service || form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !assertion) {
      return send(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    }
    try {
      await jwtVerify(assertion, await importJWK(service.publicJwk, 'RS256'), {
        issuer: service.clientId,
        subject: service.clientId,
        audience: `${orgUrl}/oauth2/v1/token`,
        maxTokenAge: '1h',
      });
    } catch (err) {
      return send(res, 401, { error: 'invalid_client', error_description: `The client_assertion token is invalid: ${(err as Error).message}` });
    }
    const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const notGranted = scopes.filter((s) => !service.scopes.includes(s));
    if (scopes.length === 0 || notGranted.length > 0) {
      return send(res, 400, { error: 'invalid_scope', error_description: `The following scopes are not permitted: ${notGranted.join(', ') || '(none requested)'}` });
    }
    const accessToken = `eyJ.svc.${randomBytes(24).toString('base64url')}`;
    appTokens.set(accessToken, { scopes, expires: Date.now() + 3_600_000 });
    return send(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: scopes.join(' ') });
  }

  function listUserGroups(req: IncomingMessage, res: ServerResponse, url: URL, id: string): void {
    groupsApiRequests++;
    if (groupsFailure && groupsFailure.times > 0) {
      groupsFailure.times--;
      const headers: Record<string, string> = {};
      if (groupsFailure.retryAfterSeconds !== undefined) headers['retry-after'] = String(groupsFailure.retryAfterSeconds);
      if (groupsFailure.status === 429) {
        Object.assign(headers, {
          'x-rate-limit-limit': '600',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000 + (groupsFailure.resetInSeconds ?? 60))),
        });
        return send(res, 429, apiErrorBody('E0000047', 'API call exceeded rate limit due to too many requests.'), headers);
      }
      return send(res, groupsFailure.status, apiErrorBody('E0000009', 'Internal Server Error'), headers);
    }
    const authorization = req.headers.authorization ?? '';
    const ssws = /^SSWS (.+)$/.exec(authorization)?.[1];
    const bearer = /^Bearer (.+)$/.exec(authorization)?.[1];
    const app = bearer ? appTokens.get(bearer) : undefined;
    if (!(ssws === apiToken || (app && app.expires > Date.now()))) {
      return apiError(res, 401, 'E0000011', 'Invalid token provided');
    }
    if (app && !app.scopes.includes('okta.users.read')) {
      return apiError(res, 403, 'E0000006', 'You do not have permission to perform the requested action');
    }
    const user = [...users.values()].find((u) => userId(u.login) === id || u.login === id);
    if (!user) return apiError(res, 404, 'E0000007', `Not found: Resource not found: ${id} (User)`);
    const all = membershipsOf(user).map((name) => ({
      id: groupId(name),
      created: '2024-01-01T00:00:00.000Z',
      lastUpdated: '2024-01-01T00:00:00.000Z',
      lastMembershipUpdated: '2024-01-01T00:00:00.000Z',
      objectClass: ['okta:user_group'],
      type: name === 'Everyone' ? 'BUILT_IN' : 'OKTA_GROUP',
      profile: { name, description: null },
      _links: {},
    }));
    const limit = Math.min(Number(url.searchParams.get('limit') ?? maxPageSize) || maxPageSize, maxPageSize);
    const after = url.searchParams.get('after');
    const start = after ? all.findIndex((g) => g.id === after) + 1 : 0;
    const page = all.slice(start, start + limit);
    // [paging] one Link header per relation; `next` carries the cursor (the last id of this page).
    const links = [`<${url.toString()}>; rel="self"`];
    if (start + limit < all.length) {
      const next = new URL(url);
      next.searchParams.set('after', page[page.length - 1]!.id);
      next.searchParams.set('limit', String(limit));
      links.push(`<${next.toString()}>; rel="next"`);
    }
    send(res, 200, page, { link: links });
  }

  function userId(login: string): string {
    return `00u${createHash('sha256').update(login.toLowerCase()).digest('base64url').replace(/[-_]/g, 'x').slice(0, 17)}`;
  }

  return {
    orgUrl,
    issuer,
    clientId,
    clientSecret,
    apiToken,
    userId,
    counters: () => ({ tokenRequests, appTokenRequests, groupsApiRequests }),
    resetCounters() {
      tokenRequests = 0;
      appTokenRequests = 0;
      groupsApiRequests = 0;
    },
    failGroups(status, options = {}) {
      groupsFailure = { status, times: options.times ?? 1, resetInSeconds: options.resetInSeconds, retryAfterSeconds: options.retryAfterSeconds };
    },
    stop: () => close(server),
  };
}

function membershipsOf(user: FakeOktaUser): string[] {
  return ['Everyone', ...user.groups];
}

function groupId(name: string): string {
  return `00g${createHash('sha256').update(name).digest('base64url').replace(/[-_]/g, 'x').slice(0, 17)}`;
}

/** [apierr] the management API's error body. */
function apiError(res: ServerResponse, status: number, errorCode: string, errorSummary: string): void {
  send(res, status, apiErrorBody(errorCode, errorSummary));
}

function apiErrorBody(errorCode: string, errorSummary: string): Record<string, unknown> {
  return { errorCode, errorSummary, errorLink: errorCode, errorId: `oae${randomUUID().replace(/-/g, '').slice(0, 19)}`, errorCauses: [] };
}
