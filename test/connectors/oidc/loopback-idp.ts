import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/**
 * A small OIDC provider on 127.0.0.1 whose every answer a test can script: the JWKS (and whether it is up),
 * the token endpoint's answer, userinfo. It signs real JWTs with jose, so what the bridge verifies is what any
 * IdP would send. Counts JWKS downloads, so caching can be asserted on.
 */
export interface SigningKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  /** The public JWK as published, with kid, alg and use. */
  jwk: JWK;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: string;
  /** Send the body one byte at a time, this many ms apart (a slow or hostile IdP). */
  trickleMs?: number;
}

export type Handler = (request: RecordedRequest) => Answer | Promise<Answer>;

export interface LoopbackIdp {
  issuer: string;
  clientId: string;
  /** Published in the JWKS (in this order) until `publish` is called again. */
  publish(keys: SigningKey[]): void;
  /** Replaces the JWKS endpoint's answer (an outage, a broken document); undefined restores the published set. */
  jwksAnswer(handler: Handler | undefined): void;
  jwksRequests(): number;
  /** The token endpoint's answer from now on; the default issues a token set with an ID token for `username`. */
  tokenAnswer(handler: Handler | undefined): void;
  userinfoAnswer(handler: Handler | undefined): void;
  /** Replaces the discovery document's answer; undefined restores the real one. */
  discoveryAnswer(handler: Handler | undefined): void;
  discoveryRequests(): number;
  lastTokenRequest(): RecordedRequest | undefined;
  /** A signed ID token for this IdP and client: `claims` override the defaults (undefined removes one). */
  idToken(key: SigningKey, claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** A 200 token response body around an ID token. */
  tokenResponse(idToken: string | undefined, extra?: Record<string, unknown>): string;
  stop(): Promise<void>;
}

export async function signingKey(alg: string, kid = alg): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

export async function startLoopbackIdp(
  options: { clientId?: string; key?: SigningKey; /** Serve https:// with this key and certificate. */ tls?: { key: string; cert: string } } = {},
): Promise<LoopbackIdp> {
  const clientId = options.clientId ?? 'bridge-client';
  const defaultKey = options.key ?? (await signingKey('RS256', 'default'));
  let published: SigningKey[] = [defaultKey];
  let jwksHandler: Handler | undefined;
  let tokenHandler: Handler | undefined;
  let userinfoHandler: Handler | undefined;
  let discoveryHandler: Handler | undefined;
  let discoveryCount = 0;
  let jwksCount = 0;
  let lastToken: RecordedRequest | undefined;
  let issuer = '';

  const idToken: LoopbackIdp['idToken'] = async (key, claims = {}, header = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { iss: issuer, aud: clientId, sub: 'u-1', iat: now, exp: now + 300, name: 'Una User', ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    const crit = Array.isArray(header['crit']) ? Object.fromEntries((header['crit'] as string[]).map((c) => [c, true])) : undefined;
    return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey, crit ? { crit } : undefined);
  };
  const tokenResponse: LoopbackIdp['tokenResponse'] = (token, extra = {}) =>
    JSON.stringify({ access_token: 'access-token-1', token_type: 'Bearer', expires_in: 300, ...(token === undefined ? {} : { id_token: token }), ...extra });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: RecordedRequest = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      void route(request).then(
        (answer) => send(res, answer),
        (err: unknown) => send(res, json(500, { error: 'server_error', error_description: String(err) })),
      );
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle);

  const route = async (request: RecordedRequest): Promise<Answer> => {
    switch (request.path) {
      case '/.well-known/openid-configuration':
        discoveryCount += 1;
        if (discoveryHandler) return discoveryHandler(request);
        return json(200, {
          issuer,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          userinfo_endpoint: `${issuer}/userinfo`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      case '/jwks':
        jwksCount += 1;
        return jwksHandler ? jwksHandler(request) : json(200, { keys: published.map((k) => k.jwk) });
      case '/token':
        lastToken = request;
        return tokenHandler ? tokenHandler(request) : json(200, tokenResponse(await idToken(defaultKey)));
      case '/userinfo':
        return userinfoHandler ? userinfoHandler(request) : json(200, { sub: 'u-1' });
      default:
        return json(404, { error: 'not_found' });
    }
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    clientId,
    publish(keys) {
      published = keys;
    },
    jwksAnswer(handler) {
      jwksHandler = handler;
    },
    jwksRequests: () => jwksCount,
    tokenAnswer(handler) {
      tokenHandler = handler;
    },
    userinfoAnswer(handler) {
      userinfoHandler = handler;
    },
    discoveryAnswer(handler) {
      discoveryHandler = handler;
    },
    discoveryRequests: () => discoveryCount,
    lastTokenRequest: () => lastToken,
    idToken,
    tokenResponse,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers ?? {});
  if (answer.trickleMs === undefined) {
    res.end(answer.body);
    return;
  }
  const bytes = Buffer.from(answer.body);
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed || at >= bytes.length) {
      clearInterval(timer);
      res.end();
      return;
    }
    res.write(bytes.subarray(at, ++at));
  }, answer.trickleMs);
  res.once('close', () => clearInterval(timer));
}
