import type { ClientMetadata, ServerMetadata } from 'openid-client';
import type { OidcConnectorConfig } from './oidc-config.js';

/**
 * How the bridge authenticates itself to the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2). The static methods
 * are computed once; only private_key_jwt signs something per request.
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface ClientAuthentication {
  readonly method: ClientAuthMethod;
  /** The `authorization` header value (client_secret_basic), else undefined. */
  readonly authorization: string | undefined;
  /** Form fields this method sets; a configured token parameter of the same name yields to them. */
  readonly fieldNames: readonly string[];
  /** Those fields, form-encoded and joined with `&`: a string when fixed, a promise when signed per request. */
  fields(): string | Promise<string>;
}

export function clientAuthMethodOf(config: OidcConnectorConfig): ClientAuthMethod {
  return config.clientAuth ?? (config.clientSecret ? 'client_secret_basic' : 'none');
}

/** `issuer` is the authorization server's issuer identifier: a client assertion's audience (RFC 7523 §3). */
export async function createClientAuthentication(config: OidcConnectorConfig, issuer: string): Promise<ClientAuthentication> {
  const method = clientAuthMethodOf(config);
  const clientId = formEncode(config.clientId);
  switch (method) {
    case 'client_secret_basic': {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic's base64, as oauth4webapi does it
      // (which also escapes - _ . ! ~ * ' ( ), so the bytes on the wire stay the same as before).
      const credentials = Buffer.from(`${basicEncode(config.clientId)}:${basicEncode(config.clientSecret ?? '')}`).toString('base64');
      return fixed(method, `Basic ${credentials}`, [], '');
    }
    case 'client_secret_post':
      return fixed(method, undefined, ['client_id', 'client_secret'], `client_id=${clientId}&client_secret=${formEncode(config.clientSecret ?? '')}`);
    case 'none':
      return fixed(method, undefined, ['client_id'], `client_id=${clientId}`);
    case 'private_key_jwt': {
      // Correct rather than fast: openid-client's own assertion (jti, aud = issuer, exp = now + 60, iat, nbf,
      // iss = sub = client_id), signed with WebCrypto. Only deployments that chose this method pay for it.
      // Loaded here only: the libraries weigh ~10 MB of memory that the other methods do not need.
      const [{ PrivateKeyJwt }, { importPKCS8 }] = await Promise.all([import('openid-client'), import('jose')]);
      const key = await importPKCS8(config.privateKey ?? '', config.privateKeyAlg);
      const sign = PrivateKeyJwt(config.privateKeyId ? { key, kid: config.privateKeyId } : key);
      const server = { issuer } as ServerMetadata;
      const client = { client_id: config.clientId } as ClientMetadata;
      return {
        method,
        authorization: undefined,
        fieldNames: ['client_id', 'client_assertion_type', 'client_assertion'],
        async fields() {
          const form = new URLSearchParams();
          await sign(server, client, form, new Headers());
          return form.toString();
        },
      };
    }
  }
}

function fixed(method: ClientAuthMethod, authorization: string | undefined, fieldNames: string[], encoded: string): ClientAuthentication {
  return { method, authorization, fieldNames, fields: () => encoded };
}

const FORM_RESERVED = /[!'()~]|%20/g;
const FORM_ESCAPES: Record<string, string> = { '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E', '%20': '+' };

/**
 * The application/x-www-form-urlencoded serializer (WHATWG URL §5.2), byte for byte what URLSearchParams
 * produces: encodeURIComponent leaves ! ' ( ) ~ alone where the form serializer escapes them, and a space is `+`.
 */
export function formEncode(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // A lone surrogate: URLSearchParams replaces it with U+FFFD rather than failing.
    return new URLSearchParams([['', value]]).toString().slice(1);
  }
  return encoded.replace(FORM_RESERVED, (match) => FORM_ESCAPES[match]!);
}

const BASIC_RESERVED = /[-_.!~*'()]|%20/g;

/** oauth4webapi's `formUrlEncode` for Basic credentials: escapes - _ . ! ~ * ' ( ) as well. */
function basicEncode(value: string): string {
  return encodeURIComponent(value).replace(BASIC_RESERVED, (match) => (match === '%20' ? '+' : `%${match.charCodeAt(0).toString(16).toUpperCase()}`));
}
