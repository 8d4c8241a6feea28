import { NS, XmlRefused, childElements, childElementsNamed, parseStrictXml, serializeXml } from './xml-dom.js';

/**
 * The SOAP 1.1 side of the ECP profile (SAML 2.0 Profiles §4.2, Binding §3.2). The bridge is SP and ECP client at
 * once, so the SP → ECP leg (the PAOS request headers) never crosses the wire: what goes to the IdP is the ECP →
 * IdP message, the AuthnRequest alone in a SOAP Body (§4.2.4.3). What comes back is an `ecp:Response` header naming
 * the AssertionConsumerServiceURL the IdP has for us, and the `samlp:Response` in the Body — or a SOAP Fault.
 */

/** The HTTP headers an ECP client sends: PAOS support announced, SOAP 1.1 body. */
export const ECP_REQUEST_HEADERS = {
  'content-type': 'text/xml; charset=utf-8',
  accept: 'text/xml, application/vnd.paos+xml',
  paos: `ver="${NS.paos}";"${NS.ecp}"`,
  soapaction: '"http://www.oasis-open.org/committees/security"',
} as const;

/** The AuthnRequest (serialized, no XML declaration) in a SOAP 1.1 envelope. */
export function wrapInSoapEnvelope(authnRequestXml: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${NS.soap11}"><S:Body>${authnRequestXml}</S:Body></S:Envelope>`;
}

export type SoapAnswer =
  | { kind: 'response'; responseXml: string; ecpAssertionConsumerServiceUrl: string | undefined }
  | { kind: 'fault'; faultCode: string; faultString: string };

/**
 * Takes the `samlp:Response` out of a SOAP answer as a self-contained document: every namespace declaration it
 * inherits from the Envelope and the Body is copied onto it, because an exclusive-c14n signature with an
 * `InclusiveNamespaces PrefixList` (as Shibboleth emits) covers declarations that a plain cut would drop.
 * Throws `XmlRefused` for anything that is not a well-formed SOAP 1.1 envelope with exactly one Response or Fault.
 */
export function readSoapAnswer(text: string): SoapAnswer {
  const document = parseStrictXml(text);
  const envelope = document.documentElement!;
  if (envelope.namespaceURI !== NS.soap11 || envelope.localName !== 'Envelope') throw new XmlRefused('not a SOAP 1.1 envelope');
  const bodies = childElementsNamed(envelope, NS.soap11, 'Body');
  if (bodies.length !== 1) throw new XmlRefused('the SOAP envelope must have exactly one Body');
  const body = bodies[0]!;
  const content = childElements(body);
  if (content.length !== 1) throw new XmlRefused(`the SOAP Body holds ${content.length} elements, not one`);
  const message = content[0]!;

  if (message.namespaceURI === NS.soap11 && message.localName === 'Fault') {
    const text = (name: string) => childElements(message).find((e) => e.localName === name)?.textContent?.trim() ?? '';
    return { kind: 'fault', faultCode: text('faultcode'), faultString: text('faultstring') };
  }
  if (message.namespaceURI !== NS.samlp || message.localName !== 'Response') {
    throw new XmlRefused(`the SOAP Body holds {${message.namespaceURI ?? ''}}${message.localName}, not a samlp:Response`);
  }
  const headers = childElementsNamed(envelope, NS.soap11, 'Header');
  const ecpResponses = headers.flatMap((header) => childElementsNamed(header, NS.ecp, 'Response'));
  if (ecpResponses.length > 1) throw new XmlRefused('more than one ecp:Response header');
  const ecpAssertionConsumerServiceUrl = ecpResponses[0]?.getAttribute('AssertionConsumerServiceURL') ?? undefined;

  for (const ancestor of [body, envelope]) {
    for (let i = 0; i < ancestor.attributes.length; i++) {
      const attribute = ancestor.attributes.item(i)!;
      const isDeclaration = attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:');
      if (isDeclaration && !message.hasAttribute(attribute.name)) message.setAttributeNS(NS.xmlns, attribute.name, attribute.value);
    }
  }
  return { kind: 'response', responseXml: serializeXml(message), ecpAssertionConsumerServiceUrl };
}
