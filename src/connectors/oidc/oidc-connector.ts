import * as client from 'openid-client';
import { importPKCS8 } from 'jose';
import type { LoginAttempt, LoginOutcome, PasswordConnector } from '../connector.js';
import { createGroupResolver, type GroupCacheOptions, type GroupResolver } from '../../groups/index.js';
import { identityFromClaims } from './claims.js';
import { classifyTokenError } from './error-mapping.js';
import type { OidcConnectorConfig } from './oidc-config.js';
import { createUpstreamFetch, withUpstreamContext } from './upstream-fetch.js';

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
 * The resource-owner password grant against any OIDC provider (Keycloak, Entra ID, Okta, Auth0, ADFS …).
 * The ID token is the proof of who logged in, so its signature is always verified against the IdP's JWKS
 * (openid-client skips that for token-endpoint responses unless told — field notes), along with iss/aud/exp.
 */
export function createOidcConnector(config: OidcConnectorConfig, deps: OidcConnectorDeps = {}): PasswordConnector {
  const upstream = createUpstreamFetch({ connectTimeoutMs: Math.min(config.timeoutMs, 5_000), requestTimeoutMs: config.timeoutMs });
  const groupResolver =
    deps.groupResolver ??
    createGroupResolver(config.groups, {
      connectorId: config.id,
      issuer: config.issuer,
      allowInsecureHttp: config.allowInsecureHttp,
      ...(deps.groupCache ? { cache: deps.groupCache } : {}),
    });
  let configuration: Promise<client.Configuration> | undefined;

  // Discovery runs once; a failure is not remembered, so the next login retries it.
  const getConfiguration = (): Promise<client.Configuration> => {
    configuration ??= buildConfiguration(config, upstream.fetch).catch((err: unknown) => {
      configuration = undefined;
      throw err;
    });
    return configuration;
  };

  const tokenParameters = (attempt: LoginAttempt): Record<string, string> => ({
    ...config.tokenParams,
    username: attempt.username,
    password: attempt.password,
    scope: config.scopes.join(' '),
  });

  return {
    id: config.id,
    type: 'oidc',
    async prepare(signal) {
      await withUpstreamContext({ signal }, getConfiguration);
    },
    async login(attempt, signal): Promise<LoginOutcome> {
      const headers =
        config.forwardEndUserIpHeader && attempt.endUserIp
          ? { [config.forwardEndUserIpHeader]: attempt.endUserIp }
          : undefined;
      return withUpstreamContext({ signal, ...(headers ? { headers } : {}) }, async () => {
        let oidc: client.Configuration;
        try {
          oidc = await getConfiguration();
        } catch (err) {
          return failureFromError(config, err, 'discovery');
        }
        let tokens: Awaited<ReturnType<typeof client.genericGrantRequest>>;
        try {
          tokens = await client.genericGrantRequest(oidc, config.grantType, tokenParameters(attempt));
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
            const info = await client.fetchUserInfo(oidc, tokens.access_token, idClaims.sub);
            claims = { ...info, ...claims };
          } catch (err) {
            return failureFromError(config, err, 'userinfo request');
          }
        }
        const identity = identityFromClaims(claims, config.claims, config.id, attempt.username);
        if (!identity) {
          return misconfigured('ERR_OIDC_NO_SUBJECT', `${config.id}: claim "${config.claims.subject}" is missing from the ID token`);
        }
        try {
          identity.groups = await groupResolver.resolve(
            { realmId: attempt.realmId, identity, accessToken: tokens.access_token },
            signal,
          );
        } catch (err) {
          // Logging in with no groups could land a person in the wrong Kayako group: refuse instead.
          return { kind: 'unavailable', cause: new OidcConnectorError('ERR_GROUPS_UNAVAILABLE', `${config.id}: group lookup failed: ${errorText(err)}`, { cause: err }) };
        }
        return { kind: 'ok', identity };
      });
    },
    close: () => upstream.close(),
  };
}

async function buildConfiguration(config: OidcConnectorConfig, fetch: client.CustomFetch): Promise<client.Configuration> {
  const clientAuth = await clientAuthentication(config);
  const metadata: Partial<client.ClientMetadata> = {
    client_id: config.clientId,
    id_token_signed_response_alg: config.idTokenAlg,
  };
  if (config.clientSecret) metadata.client_secret = config.clientSecret;
  const execute = [client.enableNonRepudiationChecks];
  if (config.allowInsecureHttp) execute.push(client.allowInsecureRequests);

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
      timeout: Math.ceil(config.timeoutMs / 1000),
      [client.customFetch]: fetch,
    });
  }
  oidc[client.customFetch] = fetch;
  // 0 = no AbortSignal.timeout per request from openid-client: upstream-fetch bounds each call with cheaper
  // timers (requestTimeoutMs), and the login's deadline still aborts it.
  oidc.timeout = 0;
  return oidc;
}

async function clientAuthentication(config: OidcConnectorConfig): Promise<client.ClientAuth> {
  const method = config.clientAuth ?? (config.clientSecret ? 'client_secret_basic' : 'none');
  switch (method) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(config.clientSecret);
    case 'client_secret_post':
      return client.ClientSecretPost(config.clientSecret);
    case 'private_key_jwt': {
      const key = await importPKCS8(config.privateKey ?? '', config.privateKeyAlg);
      return client.PrivateKeyJwt(config.privateKeyId ? { key, kid: config.privateKeyId } : key);
    }
    case 'none':
      return client.None();
  }
}

function failureFromError(config: OidcConnectorConfig, err: unknown, step: string): LoginOutcome {
  if (err instanceof client.ResponseBodyError) {
    const body = err.cause as Record<string, unknown>;
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
  const code = (err as { code?: unknown }).code;
  const name = (err as { name?: unknown }).name;
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'UND_ERR_ABORTED') {
    return { kind: 'unavailable', cause: new OidcConnectorError('ERR_IDP_TIMEOUT', `${config.id}: ${step} timed out`, { cause: err }) };
  }
  if (typeof code === 'string' && /^OAUTH_(JWT|JWS|KEY_SELECTION|JSON_ATTRIBUTE|INVALID_RESPONSE)/.test(code)) {
    // The IdP answered, but its answer failed verification (ID token signature, issuer, audience, expiry):
    // a wrong issuer/client setting, a key rollover gone wrong, or a forgery. Never a login.
    return {
      kind: 'misconfigured',
      cause: new OidcConnectorError('ERR_ID_TOKEN_REJECTED', `${config.id}: ID token rejected (${code}): ${errorText(err)}`, { cause: err }),
    };
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
