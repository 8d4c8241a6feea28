import type { OidcConnectorConfig } from './oidc-config.js';
import { endpointOf, isJsonObject, parseJson, UpstreamAnswerInvalid, USER_AGENT, type UpstreamHttp } from './upstream-http.js';
import type { Deadline } from '../../login/deadline.js';

/**
 * Where the IdP's endpoints are: configured (`endpoints`), or read once from its discovery document (OpenID
 * Connect Discovery 1.0 §4), whose `issuer` must be the configured one (§4.3) — the checks openid-client made.
 * Read with our own pool and the first login's deadline; done by hand so that openid-client (and the ~10 MB it
 * brings) is loaded only for private_key_jwt and the Okta API's app tokens.
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

const WELL_KNOWN = '/.well-known/openid-configuration';
const MAX_DOCUMENT_BYTES = 512 * 1024;

export async function resolveIdpEndpoints(config: OidcConnectorConfig, http: UpstreamHttp, deadline: Deadline): Promise<IdpEndpoints> {
  if (config.endpoints) {
    return {
      issuer: config.issuer,
      token: config.endpoints.token,
      jwks: config.endpoints.jwks,
      userinfo: config.endpoints.userinfo,
      userinfoSigningAlgs: [],
    };
  }
  // §4: the issuer without a terminating "/", then the well-known path.
  const location = endpointOf(`${config.issuer.replace(/\/+$/, '')}${WELL_KNOWN}`, config.allowInsecureHttp);
  const answer = await http.call(location, { method: 'GET', headers: { accept: 'application/json', 'user-agent': USER_AGENT }, deadline });
  if (answer.status !== 200) throw new Error(`${location.href} answered HTTP ${answer.status}`);
  if (answer.body.length > MAX_DOCUMENT_BYTES) throw new Error(`${location.href} answered a document over ${MAX_DOCUMENT_BYTES} bytes`);
  const parsed = parseJson(answer);
  if (!parsed) throw new Error(`${location.href} did not answer JSON`);
  const metadata = parsed.value;
  if (!isJsonObject(metadata)) {
    throw new UpstreamAnswerInvalid('ERR_OIDC_DISCOVERY_INCOMPLETE', 'misconfigured', `${location.href} is not a JSON object`);
  }
  const text = (field: string): string | undefined => (typeof metadata[field] === 'string' && metadata[field] !== '' ? (metadata[field] as string) : undefined);
  const missing = (field: string) =>
    new UpstreamAnswerInvalid('ERR_OIDC_DISCOVERY_INCOMPLETE', 'misconfigured', `the discovery document of ${config.issuer} has no ${field}`);

  const issuer = text('issuer');
  if (!issuer) throw missing('issuer');
  // §4.3: the document's issuer is the one the document was asked of (compared as URLs, as openid-client did).
  if (!sameUrl(issuer, config.issuer)) {
    throw new UpstreamAnswerInvalid(
      'ERR_OIDC_DISCOVERY_ISSUER',
      'misconfigured',
      `the discovery document of ${config.issuer} names another issuer: "${issuer}" (set issuer to exactly what the IdP states)`,
    );
  }
  const token = text('token_endpoint');
  if (!token) throw missing('token_endpoint');
  const jwks = text('jwks_uri');
  if (!jwks) throw missing('jwks_uri');
  const algs = metadata['userinfo_signing_alg_values_supported'];
  return {
    issuer,
    token,
    jwks,
    userinfo: text('userinfo_endpoint'),
    userinfoSigningAlgs: Array.isArray(algs) ? algs.filter((a): a is string => typeof a === 'string') : [],
  };
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}
