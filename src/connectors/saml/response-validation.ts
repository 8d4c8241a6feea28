import type { Profile, SAML } from '@node-saml/node-saml';
import { NS, XmlRefused, childElementsNamed, containsComment, parseStrictXml, type XmlDocument, type XmlElement } from './xml-dom.js';

/**
 * A `samlp:Response` checked the whole way: node-saml verifies the signature(s) against the configured IdP
 * certificates (refusing wrapped, multiple or unsigned assertions), the audience, the time window with the skew and
 * that InResponseTo names a request it sent; then what node-saml leaves to its caller — the assertion's Issuer
 * against the IdP's entity id (node-saml compares it only for logout), InResponseTo against *this* login's request
 * (node-saml accepts any id still pending), the Response's Destination and the SubjectConfirmationData's Recipient
 * against our ACS URL. Usable by any SAML binding: it takes the Response as a string, not a transport.
 */
export interface ExpectedResponse {
  /** The ID of the AuthnRequest this answer must be for. */
  requestId: string;
  idpEntityId: string;
  assertionConsumerServiceUrl: string;
}

export type ResponseVerdict =
  | { kind: 'valid'; profile: Profile; assertion: XmlDocument }
  /** The IdP answered with a failure status (unsigned status answers are common; they can only refuse). */
  | { kind: 'status'; topLevel: string; secondLevel: string | undefined; message: string | undefined }
  | { kind: 'rejected'; reason: string };

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

export async function validateSamlResponse(saml: SAML, responseXml: string, expected: ExpectedResponse): Promise<ResponseVerdict> {
  let response: XmlElement;
  try {
    response = parseStrictXml(responseXml).documentElement!;
  } catch (err) {
    return { kind: 'rejected', reason: (err as Error).message };
  }
  // An IdP never comments a Response; a comment inside a NameID or attribute value leaves the signature valid
  // (canonicalization drops comments) while a reader that stops at the first text node sees a shorter value.
  if (containsComment(response)) return { kind: 'rejected', reason: 'the Response contains an XML comment' };
  const status = readStatus(response);
  if (status.topLevel !== SUCCESS) return { kind: 'status', ...status };

  // Before node-saml sees it: node-saml accepts any id still pending and then forgets it, so an answer replayed
  // into another login would otherwise spoil the login it was meant for.
  const claimed = response.getAttribute('InResponseTo');
  if (claimed !== expected.requestId) {
    return { kind: 'rejected', reason: `InResponseTo ${claimed ? `"${claimed}"` : '(none)'} is not the request just sent (${expected.requestId})` };
  }

  let profile: Profile | null;
  try {
    ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(responseXml, 'utf8').toString('base64') }));
  } catch (err) {
    return { kind: 'rejected', reason: (err as Error).message };
  }
  if (!profile) return { kind: 'rejected', reason: 'the answer holds no assertion' };

  if (profile['inResponseTo'] !== expected.requestId) {
    return { kind: 'rejected', reason: `InResponseTo ${String(profile['inResponseTo'])} is not the request just sent (${expected.requestId})` };
  }
  if (profile.issuer !== expected.idpEntityId) {
    return { kind: 'rejected', reason: `the assertion's Issuer "${String(profile.issuer)}" is not the configured IdP "${expected.idpEntityId}"` };
  }
  const responseIssuer = childElementsNamed(response, NS.saml, 'Issuer')[0]?.textContent?.trim();
  if (responseIssuer !== undefined && responseIssuer !== expected.idpEntityId) {
    return { kind: 'rejected', reason: `the Response's Issuer "${responseIssuer}" is not the configured IdP "${expected.idpEntityId}"` };
  }
  const destination = response.getAttribute('Destination');
  if (destination && destination !== expected.assertionConsumerServiceUrl) {
    return { kind: 'rejected', reason: `the Response is addressed to ${destination}, not to ${expected.assertionConsumerServiceUrl}` };
  }

  // The assertion as node-saml verified it (the signed bytes, canonicalized), not the document it came in.
  let assertion: XmlDocument;
  try {
    assertion = parseStrictXml(profile.getAssertionXml?.() ?? '');
  } catch (err) {
    return { kind: 'rejected', reason: err instanceof XmlRefused ? `the verified assertion: ${err.message}` : String(err) };
  }
  const confirmations = assertion.getElementsByTagNameNS(NS.saml, 'SubjectConfirmationData');
  for (let i = 0; i < confirmations.length; i++) {
    const recipient = confirmations.item(i)!.getAttribute('Recipient');
    if (recipient && recipient !== expected.assertionConsumerServiceUrl) {
      return { kind: 'rejected', reason: `the assertion's Recipient ${recipient} is not ${expected.assertionConsumerServiceUrl}` };
    }
  }
  return { kind: 'valid', profile, assertion };
}

function readStatus(response: XmlElement): { topLevel: string; secondLevel: string | undefined; message: string | undefined } {
  const status = childElementsNamed(response, NS.samlp, 'Status')[0];
  const top = status ? childElementsNamed(status, NS.samlp, 'StatusCode')[0] : undefined;
  const second = top ? childElementsNamed(top, NS.samlp, 'StatusCode')[0] : undefined;
  const message = status ? childElementsNamed(status, NS.samlp, 'StatusMessage')[0]?.textContent?.trim() : undefined;
  return { topLevel: top?.getAttribute('Value') ?? '', secondLevel: second?.getAttribute('Value') ?? undefined, message: message || undefined };
}
