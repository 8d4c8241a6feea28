import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';

/**
 * The undici dispatcher every upstream call goes through (IdP discovery, token, userinfo, JWKS, Microsoft Graph,
 * the Okta API). undici's EnvHttpProxyAgent reads `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (or their lower-case
 * forms) when it is made, so a bridge in a network whose only way out is a forward proxy reaches its IdP
 * through it (https:// through a CONNECT tunnel: the proxy sees the host name, never the password), and hosts in
 * `NO_PROXY` are called directly.
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
  const tls = { timeout: options.connectTimeoutMs, ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}) };
  return new EnvHttpProxyAgent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 300_000,
    connections: options.maxConnections ?? 256,
    connect: tls,
    requestTls: tls,
    proxyTls: { timeout: options.connectTimeoutMs },
  });
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
