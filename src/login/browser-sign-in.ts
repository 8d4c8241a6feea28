import type { Deadline } from './deadline.js';
import type { Identity } from './vocabulary.js';

/**
 * A way for a person to sign in at their company's IdP in a browser — with whatever MFA it demands — so the
 * bridge can hand out a one-time Kayako sign-in code (src/http/signin-app.ts). The OIDC authorization-code flow
 * is one (src/connectors/oidc/browser-sign-in.ts); SAML Web SSO is another shape of the same contract: `start`
 * makes the AuthnRequest, `stateOf` reads RelayState from the POSTed form, `finish` validates the SAMLResponse.
 *
 * The page owns the state value, the cookie that ties the sign-in to one browser, and where pending sign-ins are
 * kept; a method only carries the state to the IdP and back and keeps its own checks (PKCE verifier, nonce,
 * request id) in `pending`, which the page stores for it and hands back to `finish`.
 */
export interface BrowserSignInMethod {
  /** As named in the config; appears in audit lines. */
  readonly id: string;
  /** `oidc` or `saml`. */
  readonly type: string;
  /**
   * How the IdP's answer comes back: `redirect` (default), a GET to `/signin/<realm>/callback` with the answer in
   * the query (OIDC); `form-post`, a cross-site POST of a form to `/signin/<realm>/saml/acs` (SAML HTTP-POST).
   */
  readonly answeredBy?: 'redirect' | 'form-post';
  /** The service provider's metadata for the IdP, naming `callbackUrl` as where answers go (SAML). */
  serviceProviderMetadata?(callbackUrl: string): string;
  /** Where to send the browser, and what `finish` will need to check the answer. */
  start(request: BrowserSignInRequest, deadline: Deadline): Promise<BrowserSignInStart>;
  /** The state value the IdP sent back (OIDC `state`, SAML `RelayState`), or undefined if there is none. */
  stateOf(callback: BrowserSignInCallback): string | undefined;
  finish(callback: BrowserSignInCallback, pending: string, request: BrowserSignInRequest, deadline: Deadline): Promise<BrowserSignInOutcome>;
  close?(): Promise<void>;
}

export interface BrowserSignInRequest {
  /** The callback URL the IdP returns to, as the person's browser sees it. */
  redirectUri: string;
  /** Unguessable; travels to the IdP and back. */
  state: string;
  realmId: string;
}

export interface BrowserSignInStart {
  redirectTo: string;
  /** The method's own checks for the answer (opaque to the page, kept server-side, never sent to the browser). */
  pending: string;
}

/** What came back to the callback URL: the full URL as the browser requested it, and a POSTed form if any. */
export interface BrowserSignInCallback {
  url: URL;
  form?: URLSearchParams;
}

export type BrowserSignInOutcome =
  | { kind: 'ok'; identity: Identity }
  /** The IdP did not let the person in (cancelled, denied, MFA failed); `detail` is the IdP's error code, safe to show and log. */
  | { kind: 'refused'; detail: string }
  /** The operator's problem or the IdP's (wrong client secret, IdP down, a token that fails verification). */
  | { kind: 'misconfigured' | 'unavailable'; cause: Error };
