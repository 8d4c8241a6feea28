import type { Deadline } from '../../login/deadline.js';
import { checkTimes, ID_TOKEN_CLOCK_TOLERANCE_SECONDS } from './id-token.js';
import { JwtRejected, verifyCompactJws, type KeySource } from './jws.js';
import {
  hasAuthenticationChallenge,
  isJsonObject,
  mediaType,
  parseJson,
  UpstreamAnswerInvalid,
  type Endpoint,
  type UpstreamHttp,
  USER_AGENT,
} from './upstream-http.js';

/**
 * The UserInfo endpoint (OIDC Core §5.3) with the login's access token. Its `sub` must be the ID token's
 * (§5.3.2: otherwise the answer is about someone else and must not be used). A signed answer
 * (application/jwt) is verified against the JWKS with an algorithm the IdP's discovery document lists for
 * userinfo, as openid-client did; without that list it is refused.
 */
export interface UserinfoSettings {
  endpoint: Endpoint;
  issuer: string;
  clientId: string;
  /** Discovery's `userinfo_signing_alg_values_supported`; empty when not published (or no discovery). */
  signingAlgs: readonly string[];
  keys: KeySource;
}

export interface UserinfoEndpoint {
  fetch(accessToken: string, expectedSubject: string, deadline: Deadline): Promise<Record<string, unknown>>;
}

const HEADERS = { accept: 'application/json, application/jwt', 'user-agent': USER_AGENT };

export function createUserinfoEndpoint(http: UpstreamHttp, settings: UserinfoSettings): UserinfoEndpoint {
  const { endpoint } = settings;
  const signingAlgs: ReadonlySet<string> = new Set(settings.signingAlgs);
  return {
    async fetch(accessToken, expectedSubject, deadline) {
      const answer = await http.call(endpoint, { method: 'GET', headers: { ...HEADERS, authorization: `Bearer ${accessToken}` }, deadline });
      if (hasAuthenticationChallenge(answer)) throw new Error(`${endpoint.host} answered ${answer.status} with a WWW-Authenticate challenge`);
      if (answer.status !== 200) throw new Error(`unexpected HTTP status ${answer.status} from ${endpoint.host}`);
      let info: Record<string, unknown>;
      if (mediaType(answer) === 'application/jwt') {
        if (signingAlgs.size === 0) {
          throw new Error(`${endpoint.host} answered with a signed userinfo JWT, but the IdP publishes no userinfo_signing_alg_values_supported to check it with`);
        }
        const { payload } = await verifyCompactJws(answer.body.toString('utf8').trim(), signingAlgs, settings.keys, deadline);
        checkTimes(payload, Math.floor(Date.now() / 1000), ID_TOKEN_CLOCK_TOLERANCE_SECONDS);
        if (payload['iss'] !== undefined && payload['iss'] !== settings.issuer) throw new JwtRejected(`its issuer ${JSON.stringify(payload['iss'])} is not "${settings.issuer}"`);
        const aud = payload['aud'];
        if (aud !== undefined && (Array.isArray(aud) ? !aud.includes(settings.clientId) : aud !== settings.clientId)) {
          throw new JwtRejected(`its audience is not the client id "${settings.clientId}"`);
        }
        info = payload;
      } else {
        const parsed = parseJson(answer);
        if (!parsed) throw new Error(`${endpoint.host} answered userinfo with ${mediaType(answer) ?? 'no content-type'}, not JSON`);
        if (!isJsonObject(parsed.value)) throw new UpstreamAnswerInvalid('ERR_USERINFO_REJECTED', 'misconfigured', `the userinfo answer from ${endpoint.host} is not a JSON object`);
        info = parsed.value;
      }
      if (typeof info['sub'] !== 'string' || info['sub'] === '') {
        throw new UpstreamAnswerInvalid('ERR_USERINFO_REJECTED', 'misconfigured', `the userinfo answer from ${endpoint.host} has no sub`);
      }
      if (info['sub'] !== expectedSubject) {
        throw new UpstreamAnswerInvalid('ERR_USERINFO_REJECTED', 'misconfigured', `the userinfo answer from ${endpoint.host} is about another subject than the ID token`);
      }
      return info;
    },
  };
}
