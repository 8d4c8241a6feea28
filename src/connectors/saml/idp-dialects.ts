import type { EcpHttpAnswer } from './ecp-post.js';

/**
 * What some IdPs say outside SAML. Everything SAML itself says (status codes, SOAP faults, 401) is read the same
 * way for every IdP; a dialect only adds the IdP's own ways of refusing a password.
 */
export const SAML_DIALECTS = ['generic', 'keycloak'] as const;
export type SamlDialect = (typeof SAML_DIALECTS)[number];

/**
 * Keycloak answers an unknown username on its ECP endpoint with its HTML error page (HTTP 400, page id
 * `login-error`, message "Invalid username or password."), not with SAML; a wrong password gets a SAML NoPassive.
 */
export function isDialectInvalidCredentials(dialect: SamlDialect, answer: EcpHttpAnswer): boolean {
  if (dialect !== 'keycloak') return false;
  return answer.status === 400 && /^text\/html/i.test(answer.contentType) && /data-page-id="login-error"/.test(answer.body) && /Invalid username or password\./.test(answer.body);
}
