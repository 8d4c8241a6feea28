import * as client from 'openid-client';
import type { LoginAttempt, LoginOutcome } from '../../login/vocabulary.js';
import type { PasswordConnector } from '../../login/password-connector.js';
import { createGroupResolver, type GroupCacheOptions, type GroupResolver } from '../../groups/index.js';
import { identityFromClaims } from './claims.js';
import { createClientAuthentication } from './client-auth.js';
import { classifyTokenError } from './error-mapping.js';
import { insecureHttpRefusal, type OidcConnectorConfig } from './oidc-config.js';
import { readCaFile } from '../../login/upstream-agent.js';
import { createUpstreamFetch, withLogin, type UpstreamFetch } from './upstream-fetch.js';
import type { Deadline } from '../../login/deadline.js';
import { splitAppendedOtp } from '../../login/appended-otp.js';

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

/**
 * The resource-owner password grant (or an extension grant such as Auth0's password-realm) against any OIDC
 * provider (Keycloak, Entra ID, Okta, Auth0, ADFS …), through openid-client. One `Configuration` per connector,
 * made by the first login (or `prepare`) and reused: openid-client keeps the JWKS in it, so no login discovers or
 * fetches keys again (an unknown key id refetches the JWKS at most once a minute — oauth4webapi's own bound).
 * The ID token is the proof of who logged in, so its signature is always verified (`enableNonRepudiationChecks`:
 * openid-client skips that for token-endpoint responses otherwise), with the one configured algorithm, along with
 * iss/aud/exp.
 */
export function createOidcConnector(config: OidcConnectorConfig, deps: OidcConnectorDeps = {}): PasswordConnector {
  const upstream = createUpstreamFetch({
    connectTimeoutMs: Math.min(config.timeoutMs, 5_000),
    requestTimeoutMs: config.timeoutMs,
    jwksUrl: config.endpoints?.jwks,
    ca: config.caFile ? readCaFile(config.caFile) : undefined,
  });
  const groupResolver =
    deps.groupResolver ??
    createGroupResolver(config.groups, {
      connectorId: config.id,
      issuer: config.issuer,
      allowInsecureHttp: config.allowInsecureHttp,
      dispatcher: upstream.dispatcher,
      ...(deps.groupCache ? { cache: deps.groupCache } : {}),
    });

  const discovery = sharedDiscovery(config, upstream);
  const getConfiguration = discovery.get;

  const scope = config.scopes.join(' ');

  return {
    id: config.id,
    type: 'oidc',
    async prepare(deadline) {
      discovery.ready() ?? (await getConfiguration(deadline));
    },
    async login(attempt, deadline): Promise<LoginOutcome> {
      let oidc = discovery.ready();
      if (!oidc) {
        try {
          oidc = await getConfiguration(deadline);
        } catch (err) {
          return failureFromError(config, err, 'discovery');
        }
      }
      const headers =
        config.forwardEndUserIpHeader && attempt.endUserIp ? { [config.forwardEndUserIpHeader]: attempt.endUserIp } : undefined;
      const configuration = oidc;
      return withLogin({ deadline, headers }, async () => {
        let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
        try {
          tokens = await client.genericGrantRequest(configuration, config.grantType, grantParameters(config, attempt, scope));
        } catch (err) {
          return failureFromError(config, err, 'token request');
        }
        const idClaims = tokens.claims();
        if (!idClaims) {
          return misconfigured('ERR_OIDC_NO_ID_TOKEN', `${config.id}: the token response has no ID token (is "openid" granted?)`);
        }
        let claims: Record<string, unknown> = { ...idClaims };
        if (config.userinfo) {
          try {
            const info = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
            claims = { ...info, ...claims };
          } catch (err) {
            return failureFromError(config, err, 'userinfo request');
          }
        }
        return withGroups(config, groupResolver, attempt, claims, tokens.access_token, deadline);
      });
    },
    async probe(deadline) {
      const ready = discovery.ready();
      if (!ready) {
        await getConfiguration(deadline);
        return;
      }
      // The endpoint logins use, asked without credentials: any status at all means the IdP answers again (a GET
      // on a token endpoint is usually 405 or 400). Through the connector's own agent, so a proxy or TLS problem
      // that stops logins stops the probe too.
      const tokenEndpoint = ready.serverMetadata().token_endpoint ?? config.issuer;
      await withLogin({ deadline }, () => upstream.fetch(tokenEndpoint, { method: 'GET', headers: {}, body: undefined, redirect: 'manual' } as client.CustomFetchOptions));
    },
    close: () => upstream.close(),
  };
}

/** The password grant's form: the configured extras, the credentials, and an appended one-time password if any. */
function grantParameters(config: OidcConnectorConfig, attempt: LoginAttempt, scope: string): Record<string, string> {
  const params: Record<string, string> = { ...config.tokenParams, username: attempt.username, password: attempt.password, scope };
  if (config.appendedOtp) {
    const split = splitAppendedOtp(attempt.password, config.appendedOtp);
    if (split.otp !== undefined) {
      params['password'] = split.password;
      params[config.appendedOtp.parameter] = split.otp;
    }
  }
  return params;
}

/** openid-client's Configuration for this connector (discovery, or the configured endpoints); also the browser sign-in's. */
/** The connector's openid-client Configuration, built (discovered) once and shared by every login. */
export interface SharedDiscovery {
  /** Discovery runs once, under the deadline of the login that started it; a failure is not remembered, so the next login retries it. */
  get(deadline: Deadline): Promise<client.Configuration>;
  /** The Configuration once discovery has succeeded, without waiting. */
  ready(): client.Configuration | undefined;
}

export function sharedDiscovery(config: OidcConnectorConfig, upstream: UpstreamFetch): SharedDiscovery {
  let built: client.Configuration | undefined;
  let pending: Promise<client.Configuration> | undefined;
  return {
    get(deadline) {
      pending ??= withLogin({ deadline }, () => buildConfiguration(config, upstream)).then(
        (configuration) => (built = configuration),
        (err: unknown) => {
          pending = undefined;
          throw err;
        },
      );
      return pending;
    },
    ready: () => built,
  };
}

export async function buildConfiguration(config: OidcConnectorConfig, upstream: UpstreamFetch): Promise<client.Configuration> {
  const clientAuth = await createClientAuthentication(config);
  const metadata: Partial<client.ClientMetadata> = {
    client_id: config.clientId,
    // The one algorithm accepted for the ID token's signature.
    id_token_signed_response_alg: config.idTokenAlg,
  };
  if (config.clientSecret) metadata.client_secret = config.clientSecret;
  // allowInsecureRequests only where the config allows http:// (loopback tests).
  const execute = config.allowInsecureHttp ? [client.enableNonRepudiationChecks, client.allowInsecureRequests] : [client.enableNonRepudiationChecks];

  let oidc: client.Configuration;
  if (config.endpoints) {
    const server: client.ServerMetadata = {
      issuer: config.issuer,
      token_endpoint: config.endpoints.token,
      jwks_uri: config.endpoints.jwks,
      ...(config.endpoints.userinfo ? { userinfo_endpoint: config.endpoints.userinfo } : {}),
    };
    oidc = new client.Configuration(server, config.clientId, metadata, clientAuth);
    for (const step of execute) step(oidc);
  } else {
    oidc = await client.discovery(new URL(config.issuer), config.clientId, metadata, clientAuth, {
      execute,
      [client.customFetch]: upstream.fetch,
      // Discovery's own bound (seconds; 0 would abort at once); upstream-fetch also cuts it to the deadline.
      timeout: Math.max(1, Math.ceil(config.timeoutMs / 1000)),
    });
  }
  oidc[client.customFetch] = upstream.fetch;
  // 0: no AbortSignal.timeout per call from openid-client; upstream-fetch bounds each call by the login's
  // deadline with undici's own timers, which cost nothing per login.
  oidc.timeout = 0;
  const server = oidc.serverMetadata();
  // Discovery may name endpoints on other hosts: the same http:// rule as for the configured URLs.
  for (const url of [server.token_endpoint, server.jwks_uri, server.userinfo_endpoint]) {
    const refusal = url ? insecureHttpRefusal(url, config) : undefined;
    if (refusal) throw new OidcConnectorError('ERR_OIDC_INSECURE_ENDPOINT', `${config.id}: discovery names ${refusal}`);
  }
  upstream.setJwksUrl(server.jwks_uri);
  if (config.userinfo && !server.userinfo_endpoint) {
    throw new OidcConnectorError('ERR_OIDC_NO_USERINFO_ENDPOINT', `${config.issuer} has no userinfo endpoint (set endpoints.userinfo, or userinfo: false)`);
  }
  return oidc;
}

/** The identity from the claims, with its groups from the configured source (also the browser sign-in's). */
export async function withGroups(
  config: OidcConnectorConfig,
  groupResolver: GroupResolver,
  attempt: Pick<LoginAttempt, 'realmId' | 'username'>,
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

/** An IdP's error (or a failed call) as a login outcome (also the browser sign-in's). */
export function failureFromError(config: OidcConnectorConfig, err: unknown, step: string): LoginOutcome {
  if (err instanceof client.ResponseBodyError) {
    const body = (err.cause ?? {}) as Record<string, unknown>;
    const codes = Array.isArray(body['error_codes']) ? body['error_codes'].filter((c): c is number => typeof c === 'number') : [];
    const classified = classifyTokenError(config.dialect, {
      status: err.status,
      error: err.error,
      ...(err.error_description ? { description: err.error_description } : {}),
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
  if (err instanceof OidcConnectorError) return { kind: 'misconfigured', cause: err };
  const code = (err as { code?: unknown }).code;
  const name = (err as { name?: unknown }).name;
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'UND_ERR_ABORTED') {
    return { kind: 'unavailable', cause: new OidcConnectorError('ERR_IDP_TIMEOUT', `${config.id}: ${step} timed out`, { cause: err }) };
  }
  if (typeof code === 'string' && /^OAUTH_(JWT|JWS|KEY_SELECTION|JSON_ATTRIBUTE|INVALID_RESPONSE|UNSUPPORTED_OPERATION)/.test(code)) {
    // The IdP answered, but its answer failed verification (ID token signature, issuer, audience, expiry):
    // a wrong issuer/client setting, a key rollover gone wrong, or a forgery. Never a login.
    const [what, errorCode] = step === 'userinfo request' ? ['userinfo answer', 'ERR_USERINFO_REJECTED'] : ['ID token', 'ERR_ID_TOKEN_REJECTED'];
    return { kind: 'misconfigured', cause: new OidcConnectorError(errorCode, `${config.id}: ${what} rejected (${String(code ?? name)}): ${errorText(err)}`, { cause: err }) };
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
