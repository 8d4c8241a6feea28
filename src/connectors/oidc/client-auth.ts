import * as client from 'openid-client';
import type { OidcConnectorConfig } from './oidc-config.js';

/** How the bridge authenticates itself to the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export function clientAuthMethodOf(config: OidcConnectorConfig): ClientAuthMethod {
  return config.clientAuth ?? (config.clientSecret ? 'client_secret_basic' : 'none');
}

/** openid-client's client authentication for the configured method. */
export async function createClientAuthentication(config: OidcConnectorConfig): Promise<client.ClientAuth> {
  switch (clientAuthMethodOf(config)) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(config.clientSecret ?? '');
    case 'client_secret_post':
      return client.ClientSecretPost(config.clientSecret ?? '');
    case 'none':
      return client.None();
    case 'private_key_jwt': {
      // openid-client signs with a WebCrypto key; jose turns the configured PKCS#8 PEM into one. Loaded here
      // only: a bridge with a client secret never needs jose (about 50 modules at start-up).
      const { importPKCS8 } = await import('jose');
      const key = await importPKCS8(config.privateKey ?? '', config.privateKeyAlg);
      return client.PrivateKeyJwt(config.privateKeyId ? { key, kid: config.privateKeyId } : key);
    }
  }
}
