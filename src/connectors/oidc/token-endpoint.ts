import type { Deadline } from '../../login/deadline.js';
import type { ClientAuthentication } from './client-auth.js';
import { formEncode } from './client-auth.js';
import {
  hasAuthenticationChallenge,
  isJsonObject,
  mediaType,
  parseJson,
  UpstreamAnswerInvalid,
  type Endpoint,
  type UpstreamAnswer,
  type UpstreamHttp,
  USER_AGENT,
} from './upstream-http.js';

/**
 * The resource-owner password grant (RFC 6749 §4.3), or an extension grant that takes a username and password
 * (Auth0's password-realm): one form POST, the answer checked the way oauth4webapi's
 * processGenericTokenEndpointResponse checked it, so every login ends as it did when openid-client made the call.
 */
export interface TokenEndpointSettings {
  endpoint: Endpoint;
  grantType: string;
  scopes: readonly string[];
  /** Extra form parameters (Auth0 `realm`, ADFS `resource`); the grant's own fields win over them. */
  tokenParams: Readonly<Record<string, string>>;
  clientAuth: ClientAuthentication;
  /** Sends the end user's address in this header (Auth0 `auth0-forwarded-for`). */
  forwardEndUserIpHeader: string | undefined;
}

export interface PasswordGrant {
  username: string;
  password: string;
  /** Kayako's `ipaddress`; may be empty. */
  endUserIp: string;
}

/** The fields of a successful token response the bridge uses; the rest of the JSON object comes along. */
export interface TokenSet {
  access_token: string;
  token_type: string;
  id_token?: string;
  [field: string]: unknown;
}

/** RFC 6749 §5.2: the IdP refused the grant and said why. */
export class TokenErrorResponse extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string | undefined,
    /** Entra's `error_codes` (AADSTS numbers); empty elsewhere. */
    readonly codes: number[],
  ) {
    super(`the token endpoint answered ${status} ${error}`);
    this.name = 'TokenErrorResponse';
  }
}

export interface TokenEndpoint {
  request(grant: PasswordGrant, deadline: Deadline): Promise<TokenSet>;
}

/** Fields the grant itself sets; a configured token parameter of the same name is left out. */
const GRANT_FIELDS = ['grant_type', 'username', 'password', 'scope'];

export function createTokenEndpoint(http: UpstreamHttp, settings: TokenEndpointSettings): TokenEndpoint {
  const { endpoint, clientAuth, forwardEndUserIpHeader } = settings;
  const reserved = new Set([...GRANT_FIELDS, ...clientAuth.fieldNames]);
  // Everything in the form but the user's credentials and a per-request client assertion is fixed: encode it once.
  const fixedFields = [
    ...Object.entries(settings.tokenParams).filter(([name]) => !reserved.has(name)),
    ['scope', settings.scopes.join(' ')],
    ['grant_type', settings.grantType],
  ]
    .map(([name, value]) => `${formEncode(name!)}=${formEncode(value!)}`)
    .join('&');
  const baseHeaders: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
    'user-agent': USER_AGENT,
  };
  if (clientAuth.authorization) baseHeaders['authorization'] = clientAuth.authorization;

  return {
    async request(grant, deadline) {
      const authFields = clientAuth.fields();
      const auth = typeof authFields === 'string' ? authFields : await authFields;
      let body = `username=${formEncode(grant.username)}&password=${formEncode(grant.password)}&${fixedFields}`;
      if (auth) body += `&${auth}`;
      let headers = baseHeaders;
      if (forwardEndUserIpHeader && grant.endUserIp) headers = { ...baseHeaders, [forwardEndUserIpHeader]: grant.endUserIp };
      const answer = await http.call(endpoint, { method: 'POST', headers, body, deadline });
      return tokenSetFrom(answer, endpoint);
    },
  };
}


function tokenSetFrom(answer: UpstreamAnswer, endpoint: Endpoint): TokenSet {
  if (answer.status !== 200) throw refusal(answer, endpoint);
  const parsed = parseJson(answer);
  if (!parsed) {
    const type = mediaType(answer);
    throw new UpstreamAnswerInvalid(
      'ERR_OIDC_BAD_TOKEN_RESPONSE',
      'unavailable',
      type === 'application/json'
        ? `${endpoint.host} answered 200 with a body that is not valid JSON`
        : `${endpoint.host} answered 200 with ${type ?? 'no content-type'}, not a JSON token response`,
    );
  }
  const json = parsed.value;
  if (!isJsonObject(json)) throw badTokenResponse(endpoint, 'is not a JSON object');
  if (typeof json['access_token'] !== 'string' || json['access_token'] === '') throw badTokenResponse(endpoint, 'has no access_token');
  const tokenType = json['token_type'];
  if (typeof tokenType !== 'string' || tokenType === '') throw badTokenResponse(endpoint, 'has no token_type');
  const expiresIn = json['expires_in'];
  if (expiresIn !== undefined) {
    const seconds = typeof expiresIn === 'number' ? expiresIn : parseFloat(String(expiresIn));
    if (!Number.isFinite(seconds) || seconds < 0) throw badTokenResponse(endpoint, 'has an expires_in that is not a non-negative number');
  }
  if (json['refresh_token'] !== undefined && (typeof json['refresh_token'] !== 'string' || json['refresh_token'] === '')) {
    throw badTokenResponse(endpoint, 'has a refresh_token that is not a string');
  }
  if (json['scope'] !== undefined && typeof json['scope'] !== 'string') throw badTokenResponse(endpoint, 'has a scope that is not a string');
  if (json['id_token'] !== undefined && (typeof json['id_token'] !== 'string' || json['id_token'] === '')) {
    throw badTokenResponse(endpoint, 'has an id_token that is not a string');
  }
  const type = tokenType.toLowerCase();
  if (type !== 'bearer' && type !== 'dpop') {
    // openid-client stopped here with an "unsupported operation" (reported as unavailable); kept as it was.
    throw new UpstreamAnswerInvalid('ERR_OIDC_BAD_TOKEN_RESPONSE', 'unavailable', `${endpoint.host} issued an unsupported token_type "${tokenType}"`);
  }
  return json as TokenSet;
}

function badTokenResponse(endpoint: Endpoint, what: string): UpstreamAnswerInvalid {
  return new UpstreamAnswerInvalid('ERR_OIDC_BAD_TOKEN_RESPONSE', 'misconfigured', `the token response from ${endpoint.host} ${what}`);
}

/**
 * A non-200 answer. Only a 4xx with an application/json object carrying `error` is the IdP's word on the grant
 * (RFC 6749 §5.2); anything else — a 5xx, an HTML error page, a challenge — is reported as an unreachable IdP,
 * exactly as openid-client's handling led to before.
 */
function refusal(answer: UpstreamAnswer, endpoint: Endpoint): Error {
  // A 4xx carrying an OAuth error body is an answer, whatever else it carries: RFC 6749 §5.2 makes a 401
  // invalid_client come with a WWW-Authenticate challenge, and some IdPs label the JSON text/plain. Classifying
  // it (a wrong client secret is "misconfigured") keeps it from counting as an outage for the circuit breaker.
  if (answer.status > 399 && answer.status < 500) {
    const body = parseJson(answer)?.value;
    if (isJsonObject(body) && typeof body['error'] === 'string' && body['error'].length > 0) {
      const description = typeof body['error_description'] === 'string' && body['error_description'] ? body['error_description'] : undefined;
      const codes = Array.isArray(body['error_codes']) ? body['error_codes'].filter((c): c is number => typeof c === 'number') : [];
      return new TokenErrorResponse(answer.status, body['error'], description, codes);
    }
    if (hasAuthenticationChallenge(answer)) {
      return new Error(`${endpoint.host} answered ${answer.status} with a WWW-Authenticate challenge and no OAuth error`);
    }
    const type = mediaType(answer);
    return new Error(`${endpoint.host} answered ${answer.status} with ${type ?? 'no content-type'}, not an OAuth error`);
  }
  return new Error(`unexpected HTTP status ${answer.status} from ${endpoint.host}`);
}
