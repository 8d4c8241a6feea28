import type { ClientAuth, CustomFetch, ServerMetadata } from 'openid-client';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { sharedUpstreamAgent } from '../login/upstream-agent.js';
import { abortable } from '../login/abortable.js';
import { GroupLookupError } from './group-lookup-error.js';

/**
 * How the bridge authenticates to the Okta management API (groups of a user):
 * - `ssws`: an API token (`Authorization: SSWS …`), tied to the admin who created it — give that admin a
 *   read-only custom role;
 * - `oauth`: an API service app using the client-credentials grant at the org authorization server, scope
 *   `okta.users.read` — Okta's recommendation. The app token is kept in this process's memory until shortly
 *   before it expires (never in the shared cache), so a burst of cache misses costs one token request.
 * https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/
 */
export type OktaApiAuthConfig =
  | { type: 'ssws'; token: string }
  | {
      type: 'oauth';
      clientId: string;
      /** PKCS#8 PEM for private_key_jwt (what Okta expects of API service apps). */
      privateKey?: string;
      privateKeyId?: string;
      clientSecret?: string;
      scopes: string[];
    };

export interface OktaApiAuth {
  /** The Authorization header value for the next API call. */
  authorization(signal: AbortSignal): Promise<string>;
}

export interface OktaApiAuthOptions {
  /** https://{yourOktaDomain} */
  orgUrl: string;
  timeoutMs: number;
  allowInsecureHttp: boolean;
  /** The connector's dispatcher (proxy, CA); default: the shared upstream agent. */
  dispatcher?: Dispatcher | undefined;
}

const RENEW_BEFORE_EXPIRY_MS = 60_000;

export function createOktaApiAuth(config: OktaApiAuthConfig, options: OktaApiAuthOptions): OktaApiAuth {
  if (config.type === 'ssws') {
    const header = `SSWS ${config.token}`;
    return { authorization: async () => header };
  }
  const oauth = config;
  let current: { header: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function requestToken(): Promise<string> {
    const base = options.orgUrl.replace(/\/+$/, '');
    // The org authorization server (not a custom one) issues tokens for Okta's own APIs.
    const tokenEndpoint = `${base}/oauth2/v1/token`;
    // Loaded on the first token request: only OAuth app tokens need these (~10 MB of memory).
    const [client, { importPKCS8 }] = await Promise.all([import('openid-client'), import('jose')]);
    let auth: ClientAuth;
    if (oauth.privateKey) {
      let key: Awaited<ReturnType<typeof importPKCS8>>;
      try {
        key = await importPKCS8(oauth.privateKey, 'RS256');
      } catch (err) {
        throw new GroupLookupError('ERR_OKTA_PRIVATE_KEY', `groups.okta.auth.privateKey is not a PKCS#8 PEM RSA key: ${(err as Error).message}`, { cause: err });
      }
      // Okta wants the token endpoint's URL as the assertion's audience (openid-client puts the issuer there).
      auth = client.PrivateKeyJwt(oauth.privateKeyId ? { key, kid: oauth.privateKeyId } : key, {
        [client.modifyAssertion]: (_header, payload) => {
          payload['aud'] = tokenEndpoint;
        },
      });
    } else {
      auth = client.ClientSecretBasic(oauth.clientSecret);
    }
    const server: ServerMetadata = { issuer: base, token_endpoint: tokenEndpoint };
    const configuration = new client.Configuration(server, oauth.clientId, {}, auth);
    configuration.timeout = Math.ceil(options.timeoutMs / 1000);
    if (options.allowInsecureHttp) client.allowInsecureRequests(configuration);
    // Through the proxy (HTTPS_PROXY …) and CA settings of every other upstream call.
    const dispatcher = options.dispatcher ?? sharedUpstreamAgent();
    configuration[client.customFetch] = ((url, init) => undiciFetch(url, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1])) as CustomFetch;
    try {
      const tokens = await client.clientCredentialsGrant(configuration, { scope: oauth.scopes.join(' ') });
      const lifetimeMs = (tokens.expires_in ?? 300) * 1000;
      const header = `Bearer ${tokens.access_token}`;
      current = { header, renewAt: Date.now() + Math.max(0, lifetimeMs - RENEW_BEFORE_EXPIRY_MS) };
      return header;
    } catch (err) {
      const detail = err instanceof client.ResponseBodyError ? `${err.error}${err.error_description ? `: ${err.error_description}` : ''}` : (err as Error).message;
      throw new GroupLookupError('ERR_OKTA_APP_TOKEN', `Okta API token request (client ${oauth.clientId}) failed: ${detail}`, { cause: err });
    }
  }

  return {
    async authorization(signal) {
      if (current && Date.now() < current.renewAt) return current.header;
      // Concurrent callers share one token request.
      pending ??= requestToken().finally(() => {
        pending = undefined;
      });
      return abortable(pending, signal);
    },
  };
}
