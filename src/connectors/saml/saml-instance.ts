import { SAML, ValidateInResponseTo, type CacheProvider, type SamlConfig } from '@node-saml/node-saml';
import type { SamlServiceProviderConfig } from './saml-config.js';

/**
 * One node-saml `SAML` per connector, from the validated config: it builds (and optionally signs) the AuthnRequests
 * and validates the answers — signature against the configured IdP certificate(s), audience (our entity id),
 * NotBefore / NotOnOrAfter with the configured skew, and InResponseTo against the requests it has sent.
 * What node-saml leaves to its caller (the issuer, Destination, Recipient) is in `response-validation.ts`.
 */
export interface SamlInstanceOptions {
  /** Where the AuthnRequest is addressed (its `Destination`): the IdP endpoint of the flow. */
  idpEndpoint: string;
  /** node-saml's store of request ids awaiting an answer. */
  pendingRequests: CacheProvider;
  /** How long a request id stays valid. */
  requestLifetimeMs: number;
  /**
   * How the AuthnRequest travels: `HTTP-POST` (default) gives it plain, for a SOAP body or an HTML form;
   * `HTTP-Redirect` deflates it into the IdP URL's query (Web SSO through the browser), signed there when
   * `signRequests` is set.
   */
  requestBinding?: 'HTTP-POST' | 'HTTP-Redirect';
  /** The AuthnRequest's ID (default node-saml's own random id). */
  requestId?: () => string;
}

export function createSamlInstance(config: SamlServiceProviderConfig, options: SamlInstanceOptions): SAML {
  const samlConfig: SamlConfig = {
    issuer: config.spEntityId,
    callbackUrl: config.assertionConsumerServiceUrl,
    entryPoint: options.idpEndpoint,
    idpCert: config.idpCertificates.map(asPem),
    audience: config.spEntityId,
    wantAssertionsSigned: config.wantAssertionsSigned,
    wantAuthnResponseSigned: config.wantResponseSigned,
    // Never -1: node-saml reads it as "skip the time checks".
    acceptedClockSkewMs: config.clockSkewSeconds * 1000,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: options.requestLifetimeMs,
    cacheProvider: options.pendingRequests,
    identifierFormat: config.nameIdFormat ?? null,
    allowCreate: true,
    disableRequestedAuthnContext: config.authnContext.length === 0,
    authnContext: config.authnContext,
    // HTTP-POST: the plain AuthnRequest (not deflated), inside a SOAP body or an HTML form, never in a URL.
    authnRequestBinding: options.requestBinding ?? 'HTTP-POST',
    skipRequestCompression: (options.requestBinding ?? 'HTTP-POST') === 'HTTP-POST',
    ...(options.requestId ? { generateUniqueId: options.requestId } : {}),
  };
  if (config.signRequests) {
    samlConfig.privateKey = config.signRequests.privateKey;
    samlConfig.publicCert = asPem(config.signRequests.certificate);
    samlConfig.signatureAlgorithm = config.signRequests.signatureAlgorithm;
    samlConfig.digestAlgorithm = config.signRequests.signatureAlgorithm;
  }
  return new SAML(samlConfig);
}

/** A certificate as PEM, whether given as PEM or as the bare base64 of metadata. */
export function asPem(certificate: string): string {
  const trimmed = certificate.trim();
  if (trimmed.startsWith('-----BEGIN')) return trimmed;
  const body = trimmed.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----`;
}
