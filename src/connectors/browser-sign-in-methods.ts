import type { BrowserSignInMethod } from '../login/browser-sign-in.js';
import type { GroupCacheOptions } from '../groups/cached-group-resolver.js';
import type { BrowserSignInMethodConfig } from '../signin/signin-config.js';
import { createOidcBrowserSignIn } from './oidc/browser-sign-in.js';
import type { OidcConnectorConfig } from './oidc/oidc-config.js';
import type { ConnectorConfig } from './registry.js';

/**
 * A realm's browser sign-in method (its `signin.method`), built on the connector it names. Keyed by the method's
 * `type`: OIDC builds on an oidc connector; SAML Web SSO carries its own service-provider config. The SAML
 * implementation is imported only for a realm that signs in with SAML, as the connector registry does: a bridge
 * without SAML never loads node-saml, xmldom and xml-crypto (a few MB of heap and about 8 MB of RSS).
 */
export async function createBrowserSignInMethod(
  method: BrowserSignInMethodConfig,
  connectors: readonly ConnectorConfig[],
  deps: { groupCache?: GroupCacheOptions },
): Promise<BrowserSignInMethod> {
  switch (method.type) {
    case 'oidc': {
      const section = connectors.find((c) => c.id === method.connector && c.type === 'oidc');
      // load-config.ts has already refused a method naming no such connector.
      if (!section) throw new Error(`signin.method.connector "${method.connector}" is not an oidc connector`);
      return createOidcBrowserSignIn(section as unknown as OidcConnectorConfig, {
        clientId: method.clientId,
        clientSecret: method.clientSecret,
        ...(deps.groupCache ? { groupCache: deps.groupCache } : {}),
      });
    }
    case 'saml': {
      const { createSamlWebSignIn } = await import('./saml/saml-web-sign-in.js');
      return createSamlWebSignIn(method);
    }
  }
}
