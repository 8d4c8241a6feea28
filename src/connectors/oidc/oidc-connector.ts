import type { LoginAttempt, LoginOutcome } from '../../login/vocabulary.js';
import type { PasswordConnector } from '../../login/password-connector.js';
import { createGroupResolver, type GroupCacheOptions, type GroupResolver } from '../../groups/index.js';
import { identityFromClaims } from './claims.js';
import { createClientAuthentication } from './client-auth.js';
import { resolveIdpEndpoints } from './discovery.js';
import { classifyTokenError } from './error-mapping.js';
import { createIdTokenVerifier, type IdTokenVerifier } from './id-token.js';
import { createJwksCache, type JwksCache } from './jwks.js';
import { JwtRejected } from './jws.js';
import type { OidcConnectorConfig } from './oidc-config.js';
import { createTokenEndpoint, TokenErrorResponse, type TokenEndpoint, type TokenSet } from './token-endpoint.js';
import { createUpstreamHttp, endpointOf, UpstreamAnswerInvalid } from './upstream-http.js';
import { createUserinfoEndpoint, type UserinfoEndpoint } from './userinfo.js';
import type { Deadline } from '../../login/deadline.js';

/** An operator-facing failure: the message says what to fix, and never contains a credential. */
export class OidcConnectorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OidcConnectorError';
  }
}

export interface OidcConnectorDeps {
  /** Replaces the resolver the config's `groups` section describes (tests, custom sources). */
  groupResolver?: GroupResolver;
  /** The bridge's shared group cache, used by API-backed sources (Graph, Okta). */
  groupCache?: GroupCacheOptions;
}

/** Everything a login needs once the IdP's endpoints are known; built once per connector. */
interface Upstream {
  tokenEndpoint: TokenEndpoint;
  keys: JwksCache;
  idTokens: IdTokenVerifier;
  userinfo: UserinfoEndpoint | undefined;
}

/**
 * The resource-owner password grant against any OIDC provider (Keycloak, Entra ID, Okta, Auth0, ADFS …).
 * The ID token is the proof of who logged in, so its signature is always verified against the IdP's JWKS, along
 * with iss/aud/exp. The login path is plain undici + node:crypto: the token request and the checks on its answer
 * are the ones openid-client/oauth4webapi made (token-endpoint.ts, id-token.ts), without web Response objects,
 * WebCrypto or AsyncLocalStorage per login (docs/benchmarks.md).
 */
export function createOidcConnector(config: OidcConnectorConfig, deps: OidcConnectorDeps = {}): PasswordConnector {
  const http = createUpstreamHttp({ connectTimeoutMs: Math.min(config.timeoutMs, 5_000), requestTimeoutMs: config.timeoutMs });
  const groupResolver =
    deps.groupResolver ??
    createGroupResolver(config.groups, {
      connectorId: config.id,
      issuer: config.issuer,
      allowInsecureHttp: config.allowInsecureHttp,
      ...(deps.groupCache ? { cache: deps.groupCache } : {}),
    });

  let ready: Upstream | undefined;
  let pending: Promise<Upstream> | undefined;

  const buildUpstream = async (deadline: Deadline): Promise<Upstream> => {
    const endpoints = await resolveIdpEndpoints(config, http, deadline);
    const insecure = config.allowInsecureHttp;
    const keys = createJwksCache({ endpoint: endpointOf(endpoints.jwks, insecure), http });
    const tokenEndpoint = createTokenEndpoint(http, {
      endpoint: endpointOf(endpoints.token, insecure),
      grantType: config.grantType,
      scopes: config.scopes,
      tokenParams: config.tokenParams,
      clientAuth: await createClientAuthentication(config, endpoints.issuer),
      forwardEndUserIpHeader: config.forwardEndUserIpHeader,
    });
    const idTokens = createIdTokenVerifier({ issuer: endpoints.issuer, clientId: config.clientId, alg: config.idTokenAlg }, keys);
    let userinfo: UserinfoEndpoint | undefined;
    if (config.userinfo) {
      if (!endpoints.userinfo) {
        throw new UpstreamAnswerInvalid('ERR_OIDC_NO_USERINFO_ENDPOINT', 'misconfigured', `${config.issuer} has no userinfo endpoint (set endpoints.userinfo, or userinfo: false)`);
      }
      userinfo = createUserinfoEndpoint(http, {
        endpoint: endpointOf(endpoints.userinfo, insecure),
        issuer: endpoints.issuer,
        clientId: config.clientId,
        signingAlgs: endpoints.userinfoSigningAlgs,
        keys,
      });
    }
    return { tokenEndpoint, keys, idTokens, userinfo };
  };

  // Discovery runs once, under the deadline of the login that started it; a failure is not remembered, so the
  // next login retries it.
  const getUpstream = (deadline: Deadline): Promise<Upstream> => {
    pending ??= buildUpstream(deadline).then(
      (built) => (ready = built),
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    );
    return pending;
  };

  return {
    id: config.id,
    type: 'oidc',
    async prepare(deadline) {
      const upstream = ready ?? (await getUpstream(deadline));
      await upstream.keys.warm(deadline);
    },
    async login(attempt, deadline): Promise<LoginOutcome> {
      let upstream = ready;
      if (!upstream) {
        try {
          upstream = await getUpstream(deadline);
        } catch (err) {
          return failureFromError(config, err, 'discovery');
        }
      }
      let tokens: TokenSet;
      let idClaims: Record<string, unknown>;
      try {
        tokens = await upstream.tokenEndpoint.request(attempt, deadline);
        if (tokens.id_token === undefined) {
          return misconfigured('ERR_OIDC_NO_ID_TOKEN', `${config.id}: the token response has no ID token (is "openid" granted?)`);
        }
        idClaims = await upstream.idTokens.verify(tokens.id_token, deadline);
      } catch (err) {
        return failureFromError(config, err, 'token request');
      }
      let claims: Record<string, unknown> = { ...idClaims };
      if (upstream.userinfo) {
        try {
          const info = await upstream.userinfo.fetch(tokens.access_token, idClaims['sub'] as string, deadline);
          claims = { ...info, ...claims };
        } catch (err) {
          return failureFromError(config, err, 'userinfo request');
        }
      }
      return withGroups(config, groupResolver, attempt, claims, tokens.access_token, deadline);
    },
    close: () => http.close(),
  };
}

async function withGroups(
  config: OidcConnectorConfig,
  groupResolver: GroupResolver,
  attempt: LoginAttempt,
  claims: Record<string, unknown>,
  accessToken: string,
  deadline: Deadline,
): Promise<LoginOutcome> {
  const identity = identityFromClaims(claims, config.claims, config.id, attempt.username);
  if (!identity) {
    return misconfigured('ERR_OIDC_NO_SUBJECT', `${config.id}: claim "${config.claims.subject}" is missing from the ID token`);
  }
  try {
    identity.groups = await groupResolver.resolve({ realmId: attempt.realmId, identity, accessToken }, deadline);
  } catch (err) {
    // Logging in with no groups could land a person in the wrong Kayako group: refuse instead.
    return { kind: 'unavailable', cause: new OidcConnectorError('ERR_GROUPS_UNAVAILABLE', `${config.id}: group lookup failed: ${errorText(err)}`, { cause: err }) };
  }
  return { kind: 'ok', identity };
}

function failureFromError(config: OidcConnectorConfig, err: unknown, step: string): LoginOutcome {
  if (err instanceof TokenErrorResponse) {
    const { codes } = err;
    const classified = classifyTokenError(config.dialect, {
      status: err.status,
      error: err.error,
      ...(err.description ? { description: err.description } : {}),
      codes,
    });
    const detail = `${config.id}: ${step} refused: ${err.error}${codes.length ? ` [${codes.join(',')}]` : ''}${classified.hint ? ` — ${classified.hint}` : ''}`;
    switch (classified.kind) {
      case 'invalid_credentials':
      case 'unknown_user':
        return { kind: 'invalid_credentials' };
      case 'mfa_required':
      case 'locked':
      case 'disabled':
      case 'password_expired':
        return { kind: classified.kind, detail, ...(classified.concealed ? { concealed: true } : {}) };
      case 'misconfigured':
      case 'unavailable':
        return { kind: classified.kind, cause: new OidcConnectorError(`ERR_IDP_${err.error.toUpperCase()}`, detail) };
    }
  }
  const code = (err as { code?: unknown }).code;
  const name = (err as { name?: unknown }).name;
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'UND_ERR_ABORTED') {
    return { kind: 'unavailable', cause: new OidcConnectorError('ERR_IDP_TIMEOUT', `${config.id}: ${step} timed out`, { cause: err }) };
  }
  if (err instanceof JwtRejected) {
    // The IdP answered, but its answer failed verification (ID token signature, issuer, audience, expiry):
    // a wrong issuer/client setting, a key rollover gone wrong, or a forgery. Never a login.
    const [what, errorCode] = step === 'userinfo request' ? ['signed userinfo', 'ERR_USERINFO_REJECTED'] : ['ID token', 'ERR_ID_TOKEN_REJECTED'];
    return { kind: 'misconfigured', cause: new OidcConnectorError(errorCode, `${config.id}: ${what} rejected: ${err.message}`, { cause: err }) };
  }
  if (err instanceof UpstreamAnswerInvalid) {
    return { kind: err.outcome, cause: new OidcConnectorError(err.code, `${config.id}: ${step}: ${err.message}`, { cause: err }) };
  }
  return {
    kind: 'unavailable',
    cause: new OidcConnectorError('ERR_IDP_UNREACHABLE', `${config.id}: ${step} failed: ${errorText(err)}`, { cause: err }),
  };
}

function misconfigured(code: string, message: string): LoginOutcome {
  return { kind: 'misconfigured', cause: new OidcConnectorError(code, message) };
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
