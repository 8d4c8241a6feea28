import { describe, expect, it } from 'vitest';
import { readSoapAnswer, wrapInSoapEnvelope } from '../../../src/connectors/saml/soap-envelope.js';
import { classifySamlStatus, classifySoapFault } from '../../../src/connectors/saml/status-codes.js';
import { XmlRefused } from '../../../src/connectors/saml/xml-dom.js';

/** The SOAP side of ECP and the status tables, on their own: what the refusal tests reach through the route. */
const S = 'urn:oasis:names:tc:SAML:2.0:status:';
const envelope = (body: string, extra = '') => `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"${extra}><S:Body>${body}</S:Body></S:Envelope>`;

describe('SAML status codes and SOAP faults', () => {
  it.each([
    [`${S}Responder`, `${S}AuthnFailed`, 'invalid_credentials'],
    [`${S}Requester`, `${S}UnknownPrincipal`, 'invalid_credentials'],
    [`${S}Responder`, `${S}NoPassive`, 'invalid_credentials'],
    [`${S}Responder`, `${S}RequestDenied`, 'disabled'],
    [`${S}Requester`, `${S}NoAuthnContext`, 'misconfigured'],
    [`${S}Requester`, `${S}InvalidNameIDPolicy`, 'misconfigured'],
    [`${S}Requester`, undefined, 'misconfigured'],
    [`${S}VersionMismatch`, undefined, 'misconfigured'],
    [`${S}Responder`, undefined, 'unavailable'],
    [`${S}Responder`, 'urn:example:vendor:Busy', 'unavailable'],
  ])('%s / %s → %s', (top, second, kind) => {
    expect(classifySamlStatus(top, second)).toBe(kind);
  });

  it('reads a Client fault as ours to fix and a Server fault as the IdP being unavailable', () => {
    expect(classifySoapFault('S:Client')).toBe('misconfigured');
    expect(classifySoapFault('SOAP-ENV:Client.Authentication')).toBe('misconfigured');
    expect(classifySoapFault('soap:MustUnderstand')).toBe('misconfigured');
    expect(classifySoapFault('S:Server')).toBe('unavailable');
  });
});

describe('the SOAP envelope', () => {
  it('carries the AuthnRequest alone in the Body of a SOAP 1.1 envelope', () => {
    const wrapped = wrapInSoapEnvelope('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"/>');
    expect(wrapped).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><S:Envelope xmlns:S="http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\/"><S:Body><samlp:AuthnRequest [^>]*\/><\/S:Body><\/S:Envelope>$/);
  });

  it('takes the Response out with the namespace declarations it inherits, and the ecp:Response consumer URL', () => {
    const answer = readSoapAnswer(
      `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><S:Header><ecp:Response xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp" AssertionConsumerServiceURL="https://sp.example/acs"/></S:Header>` +
        `<S:Body xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Response ID="_r"/></S:Body></S:Envelope>`,
    );
    expect(answer).toMatchObject({ kind: 'response', ecpAssertionConsumerServiceUrl: 'https://sp.example/acs' });
    const xml = answer.kind === 'response' ? answer.responseXml : '';
    expect(xml).toMatch(/^<samlp:Response /);
    for (const declaration of ['xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"', 'xmlns:xsd="http://www.w3.org/2001/XMLSchema"', 'xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"']) {
      expect(xml.split(declaration)).toHaveLength(2); // exactly once
    }
  });

  it('reads a SOAP fault', () => {
    expect(readSoapAnswer(envelope('<S:Fault><faultcode>S:Server</faultcode><faultstring> down </faultstring></S:Fault>'))).toEqual({ kind: 'fault', faultCode: 'S:Server', faultString: 'down' });
  });

  it.each([
    ['an HTML page', '<!DOCTYPE html><html><body>Sign in</body></html>'],
    ['XHTML', '<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'],
    ['a DOCTYPE with an entity', `<!DOCTYPE x [<!ENTITY e "boom">]>${envelope('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:Response>')}`],
    ['SOAP 1.2', '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>'],
    ['two Responses', envelope('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>')],
    ['something else in the Body', envelope('<samlp:ArtifactResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>')],
    ['broken XML', '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'],
    ['plain text', 'OK'],
  ])('refuses %s', (_what, text) => {
    expect(() => readSoapAnswer(text)).toThrow(XmlRefused);
  });
});
