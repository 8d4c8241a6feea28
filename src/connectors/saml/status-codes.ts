/**
 * What a SAML status code (SAML 2.0 Core §3.2.2.2) or a SOAP fault means for a password login. The first-level
 * code says whose fault it is (Requester, Responder, VersionMismatch); the second-level code, when there is one,
 * says what happened.
 */
export type SamlFailureKind = 'invalid_credentials' | 'mfa_required' | 'disabled' | 'misconfigured' | 'unavailable';

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';

const SECOND_LEVEL: Record<string, SamlFailureKind> = {
  AuthnFailed: 'invalid_credentials',
  UnknownPrincipal: 'invalid_credentials',
  // ECP carries the credentials and allows no interaction: an IdP that cannot authenticate the person with them
  // answers NoPassive. Keycloak answers a wrong password (and an unknown user) exactly so, in an HTTP 200.
  NoPassive: 'invalid_credentials',
  // The IdP chose not to answer this SP for this person (access policy): no login, nothing to retry.
  RequestDenied: 'disabled',
  NoAuthnContext: 'misconfigured',
  InvalidNameIDPolicy: 'misconfigured',
  UnsupportedBinding: 'misconfigured',
  RequestUnsupported: 'misconfigured',
  InvalidAttrNameOrValue: 'misconfigured',
  NoAvailableIDP: 'misconfigured',
  NoSupportedIDP: 'misconfigured',
  RequestVersionDeprecated: 'misconfigured',
  RequestVersionTooHigh: 'misconfigured',
  RequestVersionTooLow: 'misconfigured',
  ResourceNotRecognized: 'misconfigured',
  PartialLogout: 'misconfigured',
  ProxyCountExceeded: 'misconfigured',
  UnknownAttrProfile: 'misconfigured',
  TooManyResponses: 'unavailable',
};

export function classifySamlStatus(topLevel: string, secondLevel: string | undefined): SamlFailureKind {
  const second = secondLevel?.startsWith(STATUS) ? secondLevel.slice(STATUS.length) : undefined;
  if (second !== undefined && SECOND_LEVEL[second]) return SECOND_LEVEL[second];
  const top = shortStatus(topLevel);
  // Responder: the IdP failed (or will not say why); Requester / VersionMismatch: our request is at fault.
  return top === 'Responder' ? 'unavailable' : 'misconfigured';
}

/** SOAP 1.1 faultcodes (`S:Client`, `S:Server`, …): the client's fault is our request, the server's is the IdP's. */
export function classifySoapFault(faultCode: string): SamlFailureKind {
  const local = faultCode.slice(faultCode.indexOf(':') + 1);
  return local === 'Client' || local.startsWith('Client.') || local === 'VersionMismatch' || local === 'MustUnderstand' ? 'misconfigured' : 'unavailable';
}

export function shortStatus(code: string | undefined): string {
  return code === undefined ? '' : code.startsWith(STATUS) ? code.slice(STATUS.length) : code;
}
