import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Pool } from 'undici';
import { tuneV8ForServing } from '../src/runtime/v8-tuning.js';
import { basicAuthorization, CLIENT_ID, SCOPE } from './fixtures.js';
import { serveCommands } from './ipc.js';
import { statsHandlers, type StatsCommands } from './process-stats.js';

/**
 * Target B, "the limit": the least work any LoginShare bridge must do, with no framework — parse the form, one
 * keep-alive password-grant request, verify the ID token (RS256, issuer, audience, expiry; node:crypto) against keys
 * fetched once, render the XML. No caller check, no rules, no logging, no metrics. Usage: baseline.js <issuer> [http|undici]
 */
// The V8 setting the bridge serves with, so that B and C differ in code, not in flags.
tuneV8ForServing();
const [issuer = '', clientKind = 'http'] = process.argv.slice(2);
if (!issuer) throw new Error('usage: baseline.js <issuer> [http|undici]');
const tokenUrl = new URL('/token', issuer);
const authorization = basicAuthorization();

const jwks = (await (await fetch(new URL('/jwks', issuer))).json()) as { keys: Array<JsonWebKey & { kid: string }> };
const keys = new Map<string, KeyObject>(jwks.keys.map((k) => [k.kid, createPublicKey({ key: k, format: 'jwk' })]));

/**
 * RS256 verification with node:crypto on keys imported once: the cheapest correct way on Node (WebCrypto, which
 * jose uses, costs ~5× the CPU here). The bridge verifies the same way, so the limit must too.
 */
function verifyIdToken(token: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return undefined;
  const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
  const key = keys.get(kid ?? '');
  if (alg !== 'RS256' || !key) return undefined;
  if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const aud = claims['aud'];
  const audienceOk = aud === CLIENT_ID || (Array.isArray(aud) && aud.includes(CLIENT_ID));
  const exp = claims['exp'];
  if (claims['iss'] !== issuer || !audienceOk || typeof exp !== 'number' || exp * 1000 < Date.now()) return undefined;
  return claims;
}

type TokenCall = (body: string) => Promise<{ status: number; body: string }>;

const viaHttp = (): TokenCall => {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return (body) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        tokenUrl,
        {
          method: 'POST',
          agent,
          headers: {
            authorization,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('token request timed out')));
      req.on('error', reject);
      req.end(body);
    });
};

const viaUndici = (): TokenCall => {
  const pool = new Pool(tokenUrl.origin, { connections: 256, pipelining: 1 });
  return async (body) => {
    const res = await pool.request({
      method: 'POST',
      path: tokenUrl.pathname,
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    return { status: res.statusCode, body: await res.body.text() };
  };
};

const callToken = clientKind === 'undici' ? viaUndici() : viaHttp();

const escapeXml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

const failure = (message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<loginshare>\n  <result>0</result>\n  <message>${escapeXml(message)}</message>\n</loginshare>\n`;

async function login(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  if (!username || !password) return failure('Invalid request');
  const answer = await callToken(new URLSearchParams({ grant_type: 'password', username, password, scope: SCOPE }).toString());
  if (answer.status !== 200) return failure('Invalid username or password');
  const tokens = JSON.parse(answer.body) as { id_token?: string };
  if (!tokens.id_token) return failure('No ID token');
  const payload = verifyIdToken(tokens.id_token);
  if (!payload) return failure('ID token rejected');
  const groups = Array.isArray(payload['groups']) ? (payload['groups'] as string[]) : [];
  const usergroup = groups.includes('Enterprise') ? 'Enterprise' : 'Registered';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<loginshare>\n  <result>1</result>\n  <user>\n` +
    `    <usergroup>${escapeXml(usergroup)}</usergroup>\n` +
    `    <fullname>${escapeXml(String(payload['name'] ?? username))}</fullname>\n` +
    `    <emails>\n      <email>${escapeXml(String(payload['email'] ?? ''))}</email>\n    </emails>\n` +
    `  </user>\n</loginshare>\n`
  );
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || !req.url?.startsWith('/loginshare/')) {
    res.writeHead(404).end();
    return;
  }
  login(req)
    .catch(() => failure('Service unavailable'))
    .then((xml) => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
    });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveCommands<StatsCommands>({ port: (server.address() as AddressInfo).port, client: clientKind }, statsHandlers());
