import * as client from 'openid-client';
import type { OidcConnectorConfig } from './oidc-config.js';
import { UpstreamAnswerInvalid, type UpstreamHttp } from './upstream-http.js';

/**
 * Where the IdP's endpoints are: configured (`endpoints`), or read once from its discovery document (OpenID
 * Connect Discovery 1.0 §4) by openid-client, which also checks that the document's issuer is the configured one.
 * The discovery request goes through our pool with the first login's deadline, passed per call — no
 * AsyncLocalStorage.
 */
export interface IdpEndpoints {
  /** The issuer identifier as the IdP states it: ID tokens' `iss` must equal it exactly. */
  issuer: string;
  token: string;
  jwks: string;
  userinfo: string | undefined;
  /** `userinfo_signing_alg_values_supported`, when discovery published it. */
  userinfoSigningAlgs: string[];
}

export async function resolveIdpEndpoints(config: OidcConnectorConfig, http: UpstreamHttp, signal: AbortSignal): Promise<IdpEndpoints> {
  if (config.endpoints) {
    return {
      issuer: config.issuer,
      token: config.endpoints.token,
      jwks: config.endpoints.jwks,
      userinfo: config.endpoints.userinfo,
      userinfoSigningAlgs: [],
    };
  }
  const execute = config.allowInsecureHttp ? [client.allowInsecureRequests] : [];
  const discovered = await client.discovery(new URL(config.issuer), config.clientId, undefined, client.None(), {
    execute,
    timeout: Math.ceil(config.timeoutMs / 1000),
    [client.customFetch]: fetchThrough(http, signal),
  });
  const metadata = discovered.serverMetadata();
  const missing = (field: string) =>
    new UpstreamAnswerInvalid('ERR_OIDC_DISCOVERY_INCOMPLETE', 'misconfigured', `the discovery document of ${config.issuer} has no ${field}`);
  if (!metadata.token_endpoint) throw missing('token_endpoint');
  if (!metadata.jwks_uri) throw missing('jwks_uri');
  const algs = metadata.userinfo_signing_alg_values_supported;
  return {
    issuer: metadata.issuer,
    token: metadata.token_endpoint,
    jwks: metadata.jwks_uri,
    userinfo: metadata.userinfo_endpoint,
    userinfoSigningAlgs: Array.isArray(algs) ? algs.filter((a): a is string => typeof a === 'string') : [],
  };
}

/** openid-client speaks fetch; this answers it from our pool, bounded by openid-client's timeout and the login's deadline. */
function fetchThrough(http: UpstreamHttp, signal: AbortSignal): client.CustomFetch {
  return async (url, init) => {
    const parsed = new URL(url);
    const answer = await http.call(
      { href: parsed.href, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}`, host: parsed.host },
      {
        method: init.method === 'POST' ? 'POST' : 'GET',
        headers: init.headers,
        ...(typeof init.body === 'string' ? { body: init.body } : init.body instanceof URLSearchParams ? { body: init.body.toString() } : {}),
        signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal,
      },
    );
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    const empty = answer.status === 204 || answer.status === 304;
    return new Response(empty ? null : answer.body, { status: answer.status, headers });
  };
}
