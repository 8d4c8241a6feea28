import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { importJWK, SignJWT, type JWK } from 'jose';
import { CLIENT_ID, CLIENT_SECRET, passwordOf, tokenGroupsOf } from '../fixtures.js';
import { serveCommands } from '../ipc.js';
import { statsHandlers, type StatsCommands } from '../process-stats.js';

/**
 * The soak's IdP: the password grant of an OIDC provider on a fixed loopback port, signing with a key it is
 * given, so that when the soak kills it and starts it again it comes back where the bridges expect it, with the
 * keys they already trust (as a real IdP restarting does). Users `u<n>` with password `pw-u<n>`.
 * Usage: idp.js '<{ port, privateJwk, publicJwk }>'
 */
export interface SoakIdpOptions {
  port: number;
  privateJwk: JWK;
  publicJwk: JWK;
}

const options = JSON.parse(process.argv[2] ?? '{}') as SoakIdpOptions;
const issuer = `http://127.0.0.1:${options.port}`;
const privateKey = await importJWK(options.privateJwk, 'RS256');
const jwks = JSON.stringify({ keys: [options.publicJwk] });
/** A user's signed token response, reused for ten minutes: the bridge, not the IdP, is what is soaked. */
const issued = new Map<string, { body: string; at: number }>();

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => json(res, 500, JSON.stringify({ error: 'server_error', error_description: String(err) })));
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(options.port, '127.0.0.1', resolve);
});

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/jwks') return json(res, 200, jwks);
  if (req.method !== 'POST' || req.url !== '/token') return json(res, 404, '{"error":"not_found"}');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
  const [id, secret] = basic.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
  if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return json(res, 401, '{"error":"invalid_client"}');
  const username = form.get('username') ?? '';
  if (form.get('grant_type') !== 'password' || !/^u\d+$/.test(username) || form.get('password') !== passwordOf(username)) {
    return json(res, 400, '{"error":"invalid_grant","error_description":"Invalid user credentials"}');
  }
  json(res, 200, await tokenResponse(username));
}

async function tokenResponse(username: string): Promise<string> {
  const now = Date.now();
  const cached = issued.get(username);
  if (cached && now - cached.at < 600_000) return cached.body;
  const idToken = await new SignJWT({ preferred_username: username, email: `${username}@example.com`, email_verified: true, name: `User ${username}`, groups: tokenGroupsOf(username) })
    .setProtectedHeader({ alg: 'RS256', kid: options.publicJwk.kid ?? 'soak', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(CLIENT_ID)
    .setSubject(`sub-${username}`)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + 3600)
    .sign(privateKey);
  const body = JSON.stringify({ access_token: `at.${username}.${now}`, token_type: 'Bearer', expires_in: 3600, id_token: idToken, scope: 'openid profile email' });
  issued.set(username, { body, at: now });
  return body;
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

serveCommands<StatsCommands>({ port: options.port, issuer }, statsHandlers());
