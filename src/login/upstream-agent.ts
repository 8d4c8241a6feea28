import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

/**
 * The undici dispatcher every upstream call goes through (IdP discovery, token, userinfo, JWKS, Microsoft Graph,
 * the Okta API). `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (or their lower-case forms) are read when it is made,
 * so a bridge in a network whose only way out is a forward proxy reaches its IdP through undici's
 * EnvHttpProxyAgent (https:// through a CONNECT tunnel: the proxy sees the host name, never the password), and
 * hosts in `NO_PROXY` are called directly. Without a proxy variable it is a plain keep-alive Agent.
 *
 * NO_PROXY is read here and handed to EnvHttpProxyAgent: given no `noProxy`, it reads `process.env` on every
 * request to notice a changed NO_PROXY (a few per cent of a login's CPU at saturation). With no proxy variable at
 * all it would still parse each request's origin to choose between identical agents, hence the plain Agent.
 *
 * `ca` adds an operator's CA bundle (an IdP behind a private CA, common with ADFS) to Node's bundled roots, for
 * the TLS to the upstream host itself — directly or inside the proxy's tunnel (undici's `requestTls`).
 */
export interface UpstreamAgentOptions {
  connectTimeoutMs: number;
  /** PEM text of extra CA certificates to trust. */
  ca?: string | undefined;
  maxConnections?: number;
}

export function createUpstreamAgent(options: UpstreamAgentOptions): Dispatcher {
  const tls = { timeout: options.connectTimeoutMs, ...(options.ca ? { ca: besideNodeRoots(options.ca) } : {}) };
  const agent = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000, connections: options.maxConnections ?? 256 };
  const env = process.env;
  if (!(env['https_proxy'] || env['HTTPS_PROXY'] || env['http_proxy'] || env['HTTP_PROXY'])) return new Agent({ ...agent, connect: tls });
  const noProxy = env['no_proxy'] ?? env['NO_PROXY'] ?? '';
  return new EnvHttpProxyAgent({ ...agent, noProxy, connect: tls, requestTls: tls, proxyTls: { timeout: options.connectTimeoutMs } });
}

/** An operator's CA bundle added to Node's bundled roots, as every connector's `caFile` is trusted. */
export function besideNodeRoots(caPem: string): string[] {
  return [...rootCertificates, caPem];
}

/** Thrown when a `caFile` cannot be read or holds no certificate: the message names the file. */
export class CaFileError extends Error {
  readonly code = 'ERR_CA_FILE';
}

/** Reads a PEM CA bundle named by the config; checked when the connector is made, so a bad path fails start-up. */
export function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CaFileError(`caFile ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new CaFileError(`caFile ${path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`);
  return text;
}

let shared: Dispatcher | undefined;

/** For upstream calls made without a connector's own dispatcher: proxy-aware, Node's roots only. */
export function sharedUpstreamAgent(): Dispatcher {
  shared ??= createUpstreamAgent({ connectTimeoutMs: 5_000, maxConnections: 64 });
  return shared;
}
