import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { allGroupsOf, CLIENT_ID, CLIENT_SECRET, passwordOf, tokenGroupsOf } from './fixtures.js';
import { serveCommands } from './ipc.js';
import { statsHandlers, type StatsCommands } from './process-stats.js';

/**
 * A minimal, fast OIDC provider on loopback: discovery, JWKS, a token endpoint for the password grant (and
 * client credentials, for Graph app tokens), and a Microsoft-Graph-like `transitiveMemberOf` with paging.
 *
 * Tokens are real RS256 JWTs signed with jose. So that the IdP is not the bottleneck of a throughput run,
 * each user's token response is signed once and reused for `reuseTokensMs` (the verifying side still checks
 * the signature on every login, which is the cost a bridge pays). Latency can be added per endpoint to imitate
 * a remote IdP (measurement 3).
 */
export interface IdpSettings {
  tokenDelayMs: number;
  graphDelayMs: number;
  /** Tokens carry no `groups`, only Entra's `_claim_names`/`_claim_sources` overage marker. */
  overage: boolean;
  groupCount: number;
  pageSize: number;
}

export interface IdpCounters {
  tokenRequests: number;
  appTokenRequests: number;
  /** Every Graph page served. */
  graphPages: number;
  /** First pages only: one per group lookup. */
  graphLookups: number;
  refused: number;
}

export interface IdpCommands extends StatsCommands {
  configure: { args: Partial<IdpSettings>; result: IdpSettings };
  counters: { args: { reset?: boolean }; result: IdpCounters };
}

const settings: IdpSettings = { tokenDelayMs: 0, graphDelayMs: 0, overage: false, groupCount: 250, pageSize: 100 };
const reuseTokensMs = 10 * 60_000;
const zero = (): IdpCounters => ({ tokenRequests: 0, appTokenRequests: 0, graphPages: 0, graphLookups: 0, refused: 0 });
let counters = zero();

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const kid = randomBytes(6).toString('hex');
const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'server_error', error_description: String(err) }));
  });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const issuer = `http://127.0.0.1:${port}`;
const graphBase = `${issuer}/graph/v1.0`;

const discovery = JSON.stringify({
  issuer,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  grant_types_supported: ['password', 'client_credentials'],
  id_token_signing_alg_values_supported: ['RS256'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  response_types_supported: ['code'],
  subject_types_supported: ['public'],
});
const jwks = JSON.stringify({ keys: [jwk] });

/** username → signed token response (reused while fresh). */
const issued = new Map<string, { body: string; at: number }>();
const appTokens = new Set<string>();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url === '/.well-known/openid-configuration') return json(res, 200, discovery);
  if (req.method === 'GET' && url === '/jwks') return json(res, 200, jwks);
  if (req.method === 'POST' && url === '/token') return token(req, res);
  if (req.method === 'GET' && url.startsWith('/graph/v1.0/')) return graph(req, res, url);
  json(res, 404, '{"error":"not_found"}');
}

async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = new URLSearchParams(await readBody(req));
  const client = clientOf(req, form);
  if (client.id !== CLIENT_ID || client.secret !== CLIENT_SECRET) {
    counters.refused += 1;
    return json(res, 401, '{"error":"invalid_client","error_description":"Invalid client credentials"}');
  }
  const grant = form.get('grant_type');
  if (grant === 'client_credentials') {
    counters.appTokenRequests += 1;
    const accessToken = `app.${randomBytes(12).toString('base64url')}`;
    appTokens.add(accessToken);
    return delayed(settings.tokenDelayMs, () => json(res, 200, JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600 })));
  }
  if (grant !== 'password') return json(res, 400, '{"error":"unsupported_grant_type"}');
  counters.tokenRequests += 1;
  const username = form.get('username') ?? '';
  if (!/^u\d+$/.test(username) || form.get('password') !== passwordOf(username)) {
    counters.refused += 1;
    return delayed(settings.tokenDelayMs, () => json(res, 400, '{"error":"invalid_grant","error_description":"Invalid user credentials"}'));
  }
  const body = await tokenResponse(username);
  return delayed(settings.tokenDelayMs, () => json(res, 200, body));
}

async function tokenResponse(username: string): Promise<string> {
  const now = Date.now();
  const cached = issued.get(username);
  if (cached && now - cached.at < reuseTokensMs) return cached.body;
  const sub = `sub-${username}`;
  const claims: Record<string, unknown> = {
    preferred_username: username,
    email: `${username}@example.com`,
    email_verified: true,
    name: `User ${username}`,
    given_name: 'User',
    family_name: username,
    oid: sub,
  };
  if (settings.overage) {
    // Entra's shape when a user has more groups than fit in a token (field notes).
    claims['_claim_names'] = { groups: 'src1' };
    claims['_claim_sources'] = { src1: { endpoint: `${graphBase}/users/${sub}/getMemberObjects` } };
  } else {
    claims['groups'] = tokenGroupsOf(username);
  }
  const idToken = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(CLIENT_ID)
    .setSubject(sub)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + 3600)
    .sign(privateKey as CryptoKey);
  const accessToken = `at.${Buffer.from(username).toString('base64url')}.${randomBytes(12).toString('base64url')}`;
  const body = JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, id_token: idToken, scope: 'openid profile email' });
  issued.set(username, { body, at: now });
  return body;
}

/** `/graph/v1.0/me/transitiveMemberOf` (user token) or `/graph/v1.0/users/sub-<u>/transitiveMemberOf` (app token). */
function graph(req: IncomingMessage, res: ServerResponse, url: string): void {
  const parsed = new URL(url, issuer);
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  let username: string | undefined;
  const me = /^\/graph\/v1\.0\/me\/transitiveMemberOf(\/microsoft\.graph\.group)?$/.exec(parsed.pathname);
  const byId = /^\/graph\/v1\.0\/users\/sub-(u\d+)\/transitiveMemberOf(\/microsoft\.graph\.group)?$/.exec(parsed.pathname);
  if (me && bearer?.startsWith('at.')) username = Buffer.from(bearer.split('.')[1] ?? '', 'base64url').toString();
  else if (byId && bearer && (appTokens.has(bearer) || bearer.startsWith('at.'))) username = byId[1];
  if (!username) {
    counters.refused += 1;
    return json(res, 401, '{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty or invalid."}}');
  }
  const skip = Number.parseInt(parsed.searchParams.get('$skiptoken') ?? '0', 10) || 0;
  // Graph's page size: $top, at most 999, default 100.
  const pageSize = Math.min(999, Number.parseInt(parsed.searchParams.get('$top') ?? '', 10) || settings.pageSize);
  counters.graphPages += 1;
  if (skip === 0) counters.graphLookups += 1;
  const groups = allGroupsOf(username, settings.groupCount);
  const page = groups.slice(skip, skip + pageSize).map((name, i) => ({
    '@odata.type': '#microsoft.graph.group',
    id: `00000000-0000-0000-0000-${String(skip + i).padStart(12, '0')}`,
    displayName: name,
  }));
  const body: Record<string, unknown> = { '@odata.context': `${graphBase}/$metadata#directoryObjects`, value: page };
  if (skip + pageSize < groups.length) {
    const next = new URL(parsed.pathname, issuer);
    for (const [k, v] of parsed.searchParams) if (k !== '$skiptoken') next.searchParams.set(k, v);
    next.searchParams.set('$skiptoken', String(skip + pageSize));
    body['@odata.nextLink'] = next.toString();
  }
  delayed(settings.graphDelayMs, () => json(res, 200, JSON.stringify(body)));
}

function clientOf(req: IncomingMessage, form: URLSearchParams): { id?: string | null; secret?: string | null } {
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const decode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  }
  return { id: form.get('client_id'), secret: form.get('client_secret') };
}

function delayed(ms: number, answer: () => void): void {
  if (ms > 0) setTimeout(answer, ms);
  else answer();
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

serveCommands<IdpCommands>(
  { port, issuer, graphBase },
  {
    ...statsHandlers(),
    async configure(change) {
      Object.assign(settings, change);
      issued.clear();
      return { ...settings };
    },
    async counters({ reset }) {
      const current = counters;
      if (reset) counters = zero();
      return current;
    },
  },
);
