import * as client from 'openid-client';
import type { BrowserSignInCallback, BrowserSignInMethod, BrowserSignInOutcome } from '../../login/browser-sign-in.js';
import type { LoginOutcome } from '../../login/vocabulary.js';
import type { Deadline } from '../../login/deadline.js';
import { createGroupResolver, type GroupCacheOptions } from '../../groups/index.js';
import type { OidcConnectorConfig } from './oidc-config.js';
import { failureFromError, sharedDiscovery, OidcConnectorError, withGroups } from './oidc-connector.js';
import { createUpstreamFetch, withLogin } from './upstream-fetch.js';

/**
 * The OIDC authorization-code flow with PKCE (S256), state and nonce, through openid-client, for the sign-in
 * page: the browser goes to the IdP (which does whatever MFA it demands) and comes back with a code, exchanged
 * here for an ID token whose signature, issuer, audience, expiry and nonce are verified. The identity is made as
 * the password connector makes it — same claims mapping, same group source — so rules treat both alike.
 */
export interface OidcBrowserSignInOptions {
  /** A separate web client for the browser flow; default the connector's own. */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  groupCache?: GroupCacheOptions;
}

interface PendingChecks {
  verifier: string;
  nonce: string;
}

export function createOidcBrowserSignIn(connector: OidcConnectorConfig, options: OidcBrowserSignInOptions = {}): BrowserSignInMethod {
  const config: OidcConnectorConfig = {
    ...connector,
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
  };
  const upstream = createUpstreamFetch({ connectTimeoutMs: Math.min(config.timeoutMs, 5_000), requestTimeoutMs: config.timeoutMs, jwksUrl: config.endpoints?.jwks });
  const groupResolver = createGroupResolver(config.groups, {
    connectorId: config.id,
    issuer: config.issuer,
    allowInsecureHttp: config.allowInsecureHttp,
    ...(options.groupCache ? { cache: options.groupCache } : {}),
  });
  const configuration = sharedDiscovery(config, upstream).get;
  const scope = config.scopes.join(' ');

  return {
    id: config.id,
    type: 'oidc',
    async start(request, deadline) {
      const oidc = await configuration(deadline);
      if (!oidc.serverMetadata().authorization_endpoint) {
        throw new OidcConnectorError('ERR_OIDC_NO_AUTHORIZATION_ENDPOINT', `${config.issuer} has no authorization endpoint (the browser sign-in needs discovery, not fixed endpoints)`);
      }
      const checks: PendingChecks = { verifier: client.randomPKCECodeVerifier(), nonce: client.randomNonce() };
      const url = client.buildAuthorizationUrl(oidc, {
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope,
        state: request.state,
        nonce: checks.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
        code_challenge_method: 'S256',
      });
      return { redirectTo: url.href, pending: JSON.stringify(checks) };
    },
    stateOf: (callback) => callback.url.searchParams.get('state') ?? undefined,
    async finish(callback: BrowserSignInCallback, pendingChecks, request, deadline): Promise<BrowserSignInOutcome> {
      const checks = JSON.parse(pendingChecks) as PendingChecks;
      let oidc: client.Configuration;
      try {
        oidc = await configuration(deadline);
      } catch (err) {
        return asBrowserOutcome(failureFromError(config, err, 'discovery'));
      }
      return withLogin({ deadline }, async () => {
        let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
        try {
          tokens = await client.authorizationCodeGrant(
            oidc,
            callback.url,
            { pkceCodeVerifier: checks.verifier, expectedState: request.state, expectedNonce: checks.nonce, idTokenExpected: true },
            // The redirect URI exactly as sent, not as rebuilt from a URL a proxy may have rewritten.
            { redirect_uri: request.redirectUri },
          );
        } catch (err) {
          if (err instanceof client.AuthorizationResponseError) return { kind: 'refused', detail: err.error };
          return asBrowserOutcome(failureFromError(config, err, 'authorization code exchange'));
        }
        const idClaims = tokens.claims();
        if (!idClaims) return { kind: 'misconfigured', cause: new OidcConnectorError('ERR_OIDC_NO_ID_TOKEN', `${config.id}: the token response has no ID token`) };
        let claims: Record<string, unknown> = { ...idClaims };
        if (config.userinfo) {
          try {
            claims = { ...(await client.fetchUserInfo(oidc, tokens.access_token, idClaims.sub)), ...claims };
          } catch (err) {
            return asBrowserOutcome(failureFromError(config, err, 'userinfo request'));
          }
        }
        // No typed username here: an IdP without a username claim names the person by subject.
        const outcome = await withGroups(config, groupResolver, { realmId: request.realmId, username: idClaims.sub }, claims, tokens.access_token, deadline);
        return asBrowserOutcome(outcome);
      });
    },
    close: () => upstream.close(),
  };
}

function asBrowserOutcome(outcome: LoginOutcome): BrowserSignInOutcome {
  switch (outcome.kind) {
    case 'ok':
    case 'misconfigured':
    case 'unavailable':
      return outcome;
    case 'unknown_user':
    case 'invalid_credentials':
      // The code exchange refused (code used or expired): the person starts again.
      return { kind: 'refused', detail: 'invalid_grant' };
    case 'mfa_required':
    case 'locked':
    case 'disabled':
    case 'password_expired':
      return { kind: 'refused', detail: outcome.kind };
  }
}
