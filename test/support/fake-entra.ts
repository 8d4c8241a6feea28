import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { clientCredentials, close, listen, readBody, send } from './fake-http.js';

/**
 * A Microsoft Entra ID tenant and Microsoft Graph on loopback, speaking the documented wire formats, for the
 * parts of the bridge that cannot reach the real thing: the v2.0 OpenID discovery document and JWKS, the token
 * endpoint's resource-owner password grant (real RS256 ID tokens), AADSTS error bodies with `error_codes`, the
 * groups overage claim, and Graph `transitiveMemberOf` with `@odata.nextLink` paging. Two servers, like the real
 * services: the login host (login.microsoftonline.com) and the Graph host (graph.microsoft.com).
 *
 * Sources, cited at each behaviour below:
 * [oidc]     https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc (discovery, issuer, keys)
 * [ropc]     https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth-ropc (request, response, errors)
 * [errors]   https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes (body shape, AADSTS codes)
 * [idtoken]  https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference (claims, groups overage)
 * [optional] https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference (email, xms_edov, given_name …)
 * [graph]    https://learn.microsoft.com/en-us/graph/api/user-list-transitivememberof (paging, $select, $top ≤ 999)
 * [paging]   https://learn.microsoft.com/en-us/graph/paging (@odata.nextLink is opaque; follow it as is)
 * [limited]  https://learn.microsoft.com/en-us/graph/permissions-overview#limited-information-returned-for-inaccessible-member-objects
 * [grapherr] https://learn.microsoft.com/en-us/graph/errors (error body { error: { code, message, innerError } })
 * [throttle] https://learn.microsoft.com/en-us/graph/throttling (429 TooManyRequests with Retry-After in seconds; also
 *            on 503 serviceNotAvailable)
 */

/** Microsoft Graph's application id: the `aud` of v1 access tokens issued for Graph. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export type FakeEntraUserState = 'active' | 'disabled' | 'locked' | 'password_expired' | 'mfa_required' | 'ca_blocked';

export interface FakeEntraUser {
  /** userPrincipalName: what people type. */
  upn: string;
  password: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  /** The `mail` attribute (user- or admin-editable: the nOAuth problem). */
  mail?: string;
  /** Whether `mail`'s domain is a verified domain of the tenant (what `xms_edov` reports). */
  mailDomainVerified?: boolean;
  /** Group display names; ids are derived from them. */
  groups: string[];
  /** Directory roles / administrative units the user also holds (transitiveMemberOf lists them too). */
  directoryRoles?: string[];
  state?: FakeEntraUserState;
}

export interface FakeEntraOptions {
  tenantId?: string;
  clientId?: string;
  /** Confidential client: its secret. Absent = public client ("Allow public client flows" on). */
  clientSecret?: string;
  /** Manifest `groupMembershipClaims` (e.g. SecurityGroup): groups in the ID token. Default true. */
  groupsClaim?: boolean;
  /** Optional claims configured on the app's ID token [optional]. */
  optionalClaims?: Array<'email' | 'xms_edov' | 'given_name' | 'family_name' | 'upn'>;
  users: FakeEntraUser[];
}

export interface FakeEntra {
  tenantId: string;
  clientId: string;
  clientSecret: string | undefined;
  /** `http://127.0.0.1:port/{tenant}/v2.0`: the issuer of a tenant-specific configuration. */
  issuer: string;
  /** The login host's origin, for other tenants' URLs (`/common/…`). */
  loginOrigin: string;
  /** `http://127.0.0.1:port/v1.0` on the Graph host. */
  graphBaseUrl: string;
  /** The object id the fake gave this group name. */
  groupId(name: string): string;
  /** The user's object id (`oid`). */
  objectId(upn: string): string;
  counters(): { tokenRequests: number; graphRequests: number; graphLookups: number };
  resetCounters(): void;
  /**
   * Graph requests answer this status and Graph error body [grapherr]: `times` of them (default 1), after
   * letting `afterRequests` more succeed (default 0) — e.g. 1 to fail on the second page.
   */
  failGraph(status: number, code: string, options?: { times?: number; afterRequests?: number; retryAfterSeconds?: number }): void;
  stop(): Promise<void>;
}

/** Entra's JWT groups limit: above this the token carries the overage claim instead [idtoken]. */
const JWT_GROUPS_LIMIT = 200;
/** Graph's default and largest page sizes for directory objects [graph]. */
const GRAPH_DEFAULT_PAGE = 100;
const GRAPH_MAX_PAGE = 999;

/** Graph permissions under which group objects are readable in full; others get id + type only [limited]. */
const GROUP_READ_SCOPES = ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'];

export async function startFakeEntra(options: FakeEntraOptions): Promise<FakeEntra> {
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const clientId = options.clientId ?? '8d0c1a4e-7b1f-4c5e-9a51-1f3f2f6e0b11';
  const clientSecret = options.clientSecret;
  const groupsClaim = options.groupsClaim ?? true;
  const optionalClaims = new Set(options.optionalClaims ?? []);
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const users = new Map(options.users.map((u) => [u.upn.toLowerCase(), u]));
  const usersByOid = new Map(options.users.map((u) => [objectId(u.upn), u]));

  let tokenRequests = 0;
  let graphRequests = 0;
  let graphLookups = 0;
  let graphFailure: { status: number; code: string; times: number; afterRequests: number; retryAfterSeconds: number | undefined } | undefined;

  const login = createServer((req, res) => void handleLogin(req, res).catch((err: unknown) => send(res, 500, { error: String(err) })));
  const graph = createServer((req, res) => void handleGraph(req, res).catch((err: unknown) => send(res, 500, { error: String(err) })));
  const loginOrigin = await listen(login);
  const graphOrigin = await listen(graph);
  const issuerOf = (tenant: string) => `${loginOrigin}/${tenant}/v2.0`;
  const issuer = issuerOf(tenantId);

  async function handleLogin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', loginOrigin);
    const [, tenant = '', ...rest] = url.pathname.split('/');
    const path = rest.join('/');
    const knownTenant = tenant === tenantId || ['common', 'organizations', 'consumers'].includes(tenant);
    if (req.method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      if (!knownTenant) return aadError(res, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
      // Multi-tenant endpoints publish a templated issuer, "{tenantid}", that no token ever carries [oidc].
      const documentIssuer = tenant === tenantId ? issuer : issuerOf('{tenantid}');
      return send(res, 200, {
        issuer: documentIssuer,
        token_endpoint: `${loginOrigin}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${loginOrigin}/${tenant}/oauth2/v2.0/authorize`,
        jwks_uri: `${loginOrigin}/${tenant}/discovery/v2.0/keys`,
        userinfo_endpoint: `${graphOrigin}/oidc/userinfo`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'name', 'preferred_username', 'oid', 'tid', 'ver', 'email'],
        tenant_region_scope: 'EU',
      });
    }
    if (req.method === 'GET' && path === 'discovery/v2.0/keys') return send(res, 200, { keys: [jwk] });
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') return token(req, res, tenant, knownTenant);
    return send(res, 404, { error: 'not_found' });
  }

  async function token(req: IncomingMessage, res: ServerResponse, tenant: string, knownTenant: boolean): Promise<void> {
    tokenRequests++;
    const form = new URLSearchParams(await readBody(req));
    // [ropc] ROPC is not supported on the /common and /consumers endpoints.
    if (tenant === 'common' || tenant === 'consumers') {
      return aadError(res, 400, 'invalid_request', 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.");
    }
    if (!knownTenant) return aadError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    const client = clientCredentials(req, form);
    if (client.id !== clientId) {
      return aadError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${client.id}' was not found in the directory.`);
    }
    if (form.get('grant_type') !== 'password') return aadError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    // [ropc] confidential clients must authenticate; public clients must not send a secret.
    if (clientSecret === undefined && client.secret) {
      return aadError(res, 401, 'invalid_client', 700025, 'Client is public so neither client_assertion nor client_secret should be presented.');
    }
    if (clientSecret !== undefined && !client.secret) {
      return aadError(res, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    if (clientSecret !== undefined && client.secret !== clientSecret) {
      return aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    }
    const user = users.get((form.get('username') ?? '').toLowerCase());
    if (!user) return aadError(res, 400, 'invalid_grant', 50034, "The user account doesn't exist in the directory.");
    if (user.state === 'locked') return aadError(res, 400, 'invalid_grant', 50053, 'Your account is locked because you tried to sign in too many times with an incorrect user ID or password.');
    if (form.get('password') !== user.password) return aadError(res, 400, 'invalid_grant', 50126, 'Error validating credentials due to invalid username or password.');
    switch (user.state) {
      case 'disabled':
        return aadError(res, 400, 'invalid_grant', 50057, 'The user account is disabled.');
      case 'password_expired':
        return aadError(res, 400, 'invalid_grant', 50055, 'The password is expired.');
      case 'mfa_required':
        return aadError(res, 400, 'invalid_grant', 50076, "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.", 'basic_action');
      case 'ca_blocked':
        return aadError(res, 400, 'interaction_required', 53003, 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.', 'message_only');
      default:
        break;
    }
    const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    return send(res, 200, await tokenResponse(user, scopes));
  }

  async function tokenResponse(user: FakeEntraUser, scopes: string[]): Promise<Record<string, unknown>> {
    const now = Math.floor(Date.now() / 1000);
    const oid = objectId(user.upn);
    const claims: Record<string, unknown> = {
      ver: '2.0',
      tid: tenantId,
      oid,
      name: user.displayName,
      preferred_username: user.upn,
    };
    if (optionalClaims.has('email') && user.mail) claims['email'] = user.mail;
    if (optionalClaims.has('xms_edov') && user.mail) claims['xms_edov'] = user.mailDomainVerified === true;
    if (optionalClaims.has('given_name') && user.givenName) claims['given_name'] = user.givenName;
    if (optionalClaims.has('family_name') && user.surname) claims['family_name'] = user.surname;
    if (optionalClaims.has('upn')) claims['upn'] = user.upn;
    if (groupsClaim) {
      if (user.groups.length > JWT_GROUPS_LIMIT) {
        // [idtoken] overage: no groups claim, a pointer to (legacy AAD Graph) getMemberObjects instead.
        claims['_claim_names'] = { groups: 'src1' };
        claims['_claim_sources'] = { src1: { endpoint: `https://graph.windows.net/${tenantId}/users/${oid}/getMemberObjects` } };
      } else {
        claims['groups'] = user.groups.map(groupId);
      }
    }
    // [idtoken] sub is pairwise: unique to this user and this application.
    const sub = createHash('sha256').update(`${oid}:${clientId}`).digest('base64url').slice(0, 43);
    const idToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setSubject(sub)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    // A token is for one resource: Graph, unless a scope names another one (api://…/x) [ropc].
    const resourceScopes = scopes.filter((s) => !['openid', 'profile', 'email', 'offline_access'].includes(s));
    const otherResource = resourceScopes.find((s) => s.includes('://') && !s.startsWith('https://graph.microsoft.com/'));
    const audience = otherResource ? otherResource.slice(0, otherResource.lastIndexOf('/')) : GRAPH_APP_ID;
    const permissions = resourceScopes.map((s) => s.slice(s.lastIndexOf('/') + 1));
    const accessToken = await new SignJWT({ scp: ['openid', 'profile', 'email', ...permissions].join(' '), oid, tid: tenantId, upn: user.upn })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(`https://sts.windows.net/${tenantId}/`)
      .setAudience(audience)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    return {
      token_type: 'Bearer',
      scope: [...permissions, ...scopes.filter((s) => !resourceScopes.includes(s))].join(' '),
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: accessToken,
      id_token: idToken,
    };
  }

  async function handleGraph(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', graphOrigin);
    graphRequests++;
    if (graphFailure && graphFailure.afterRequests > 0) {
      graphFailure.afterRequests--;
    } else if (graphFailure && graphFailure.times > 0) {
      graphFailure.times--;
      // Throttled and unavailable answers say when to come back [throttle].
      const retryAfter = graphFailure.retryAfterSeconds;
      return graphError(res, graphFailure.status, graphFailure.code, 'Injected failure.', retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(bearer, publicKey, { audience: [GRAPH_APP_ID, 'https://graph.microsoft.com'] }));
    } catch {
      return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }
    if (req.method !== 'GET' || url.pathname !== '/v1.0/me/transitiveMemberOf') return graphError(res, 400, 'BadRequest', 'Resource not found for the segment.');
    const user = usersByOid.get(String(payload['oid']));
    if (!user) return graphError(res, 404, 'Request_ResourceNotFound', 'Resource does not exist.');
    const granted = String(payload['scp'] ?? '').split(' ');
    if (!granted.some((s) => s === 'User.Read' || GROUP_READ_SCOPES.includes(s) || s === 'User.Read.All')) {
      return graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const canReadGroups = granted.some((s) => GROUP_READ_SCOPES.includes(s));
    const skip = Number(url.searchParams.get('$skiptoken') ? Buffer.from(url.searchParams.get('$skiptoken')!, 'base64url').toString() : 0);
    if (skip === 0) graphLookups++;
    const top = Math.min(Number(url.searchParams.get('$top') ?? GRAPH_DEFAULT_PAGE) || GRAPH_DEFAULT_PAGE, GRAPH_MAX_PAGE);
    const select = url.searchParams.get('$select')?.split(',');
    // Groups interleaved with directory roles, which callers must skip (@odata.type is always present) [graph].
    const memberships: Array<Record<string, unknown>> = [
      ...(user.directoryRoles ?? []).map((name) => ({ '@odata.type': '#microsoft.graph.directoryRole', id: groupId(`role:${name}`), displayName: name })),
      ...user.groups.map((name) => ({
        '@odata.type': '#microsoft.graph.group',
        id: groupId(name),
        // [limited] without a group-read permission, only id and type are returned; other properties are null.
        displayName: canReadGroups ? name : null,
        securityEnabled: true,
      })),
    ];
    const page = memberships.slice(skip, skip + top).map((entry) =>
      select ? Object.fromEntries(Object.entries(entry).filter(([k]) => k === '@odata.type' || select.includes(k))) : entry,
    );
    const body: Record<string, unknown> = { '@odata.context': `${graphOrigin}/v1.0/$metadata#directoryObjects(id,displayName)`, value: page };
    if (skip + top < memberships.length) {
      // [paging] an opaque $skiptoken in a full URL that keeps the original query options.
      const next = new URL(url);
      next.searchParams.set('$skiptoken', Buffer.from(String(skip + top)).toString('base64url'));
      body['@odata.nextLink'] = next.toString();
    }
    return send(res, 200, body);
  }

  function graphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    send(res, status, { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } }, headers);
  }

  function groupId(name: string): string {
    const hex = createHash('sha256').update(`${tenantId}:group:${name}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  function objectId(upn: string): string {
    const hex = createHash('sha256').update(`${tenantId}:user:${upn.toLowerCase()}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-b${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  return {
    tenantId,
    clientId,
    clientSecret,
    issuer,
    loginOrigin,
    graphBaseUrl: `${graphOrigin}/v1.0`,
    groupId,
    objectId,
    counters: () => ({ tokenRequests, graphRequests, graphLookups }),
    resetCounters() {
      tokenRequests = 0;
      graphRequests = 0;
      graphLookups = 0;
    },
    failGraph(status, code, options = {}) {
      graphFailure = { status, code, times: options.times ?? 1, afterRequests: options.afterRequests ?? 0, retryAfterSeconds: options.retryAfterSeconds };
    },
    async stop() {
      await Promise.all([close(login), close(graph)]);
    },
  };
}

/** [errors] the body of every AADSTS error: `error`, a description that starts with the code, and `error_codes`. */
function aadError(res: ServerResponse, status: number, error: string, code: number, text: string, suberror?: string): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  send(res, status, {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    ...(suberror ? { suberror } : {}),
  });
}
