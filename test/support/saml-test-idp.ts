import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { generate } from 'selfsigned';
import { serveOnLoopback } from './loginshare-listener.js';

/**
 * A loopback SAML ECP identity provider that signs with its own keys (xml-crypto, the library node-saml itself
 * verifies with), for the answers the real Keycloak never gives: forged, misdirected, expired, wrapped. It checks
 * HTTP Basic credentials like a real ECP endpoint (401 for wrong ones) and answers each login as the current
 * `answer` function says, given the AuthnRequest it received.
 */
export interface SamlKeyPair {
  privateKey: string;
  certificate: string;
}

export async function samlKeyPair(commonName: string): Promise<SamlKeyPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], { keySize: 2048, algorithm: 'sha256' });
  return { privateKey: pems.private, certificate: pems.cert };
}

export interface ReceivedRequest {
  /** The AuthnRequest's ID. */
  id: string;
  username: string;
  /** The whole SOAP envelope as posted. */
  envelope: string;
  headers: IncomingMessage['headers'];
}

export type IdpAnswer = { status: number; contentType: string; body: string } | 'hang';

export interface AssertionOptions {
  issuer?: string;
  responseIssuer?: string | null;
  audience?: string;
  inResponseTo?: string;
  nameId?: string;
  /** Offsets from now, in seconds. */
  notBefore?: number;
  notOnOrAfter?: number;
  destination?: string | null;
  recipient?: string;
  attributes?: { name: string; friendlyName?: string; values: string[] }[];
  /** Which key signs the assertion; `none` leaves it unsigned. */
  signWith?: SamlKeyPair | 'none';
  /** Also sign the Response element. */
  signResponse?: SamlKeyPair;
  /** Changes the signed XML (the tampering cases). */
  afterSigning?: (responseXml: string) => string;
  /**
   * Typed attribute values (`xsi:type="xsd:string"`) whose namespaces are declared on the SOAP Envelope only, the
   * assertion signed in place with exclusive c14n and `InclusiveNamespaces PrefixList="xsd"` — as Shibboleth
   * does: the digest covers a declaration the Response inherits. Only for `signedAnswer`.
   */
  namespacesOnEnvelope?: boolean;
}

export interface SamlTestIdp {
  readonly url: string;
  readonly entityId: string;
  readonly keys: SamlKeyPair;
  readonly received: ReceivedRequest[];
  /** How the next logins are answered (until set again); the default signs a good assertion. */
  answer: (request: ReceivedRequest) => IdpAnswer | Promise<IdpAnswer>;
  /** A signed samlp:Response for `request`, shaped by `options`, in the SOAP envelope ECP answers with. */
  signedAnswer(request: ReceivedRequest, options?: AssertionOptions): IdpAnswer;
  responseXml(request: ReceivedRequest, options?: AssertionOptions): string;
  close(): Promise<void>;
}

export interface SamlTestIdpOptions {
  keys: SamlKeyPair;
  /** The SP the assertions are for (Audience) and where they are addressed (Destination, Recipient). */
  spEntityId: string;
  assertionConsumerServiceUrl: string;
  /** The accounts, or a lookup of them (many generated users, as the benchmark has). */
  users: Record<string, SamlTestUser> | ((username: string) => SamlTestUser | undefined);
  /** Keep every request in `received` (default true; off under load). */
  recordRequests?: boolean;
  /** Serve https:// with this key and certificate. */
  tls?: { key: string; cert: string };
}

export interface SamlTestUser {
  password: string;
  attributes: { name: string; friendlyName?: string; values: string[] }[];
}

interface XmlCryptoModule {
  SignedXml: new (options: { privateKey: string; publicCert: string; signatureAlgorithm: string; canonicalizationAlgorithm: string }) => {
    addReference(reference: { xpath: string; transforms: string[]; digestAlgorithm: string; inclusiveNamespacesPrefixList?: string[] }): void;
    computeSignature(xml: string, options: { location: { reference: string; action: 'after' | 'prepend' | 'append' | 'before' } }): void;
    getSignedXml(): string;
  };
}
// Loaded untyped: xml-crypto's typings pull the browser DOM library into the program.
const { SignedXml } = createRequire(import.meta.url)('xml-crypto') as XmlCryptoModule;

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export function signElement(xml: string, localName: 'Assertion' | 'Response', keys: SamlKeyPair, inclusiveNamespacesPrefixList?: string[]): string {
  const signer = new SignedXml({
    privateKey: keys.privateKey,
    publicCert: keys.certificate,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: EXC_C14N,
  });
  signer.addReference({
    xpath: `//*[local-name(.)='${localName}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', EXC_C14N],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    ...(inclusiveNamespacesPrefixList ? { inclusiveNamespacesPrefixList } : {}),
  });
  signer.computeSignature(xml, { location: { reference: `//*[local-name(.)='${localName}']/*[local-name(.)='Issuer']`, action: 'after' } });
  return signer.getSignedXml();
}

export function inSoapEnvelope(responseXml: string, ecpAssertionConsumerServiceUrl?: string): string {
  const header = ecpAssertionConsumerServiceUrl
    ? `<S:Header><ecp:Response xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp" S:mustUnderstand="1" S:actor="http://schemas.xmlsoap.org/soap/actor/next" AssertionConsumerServiceURL="${ecpAssertionConsumerServiceUrl}"/></S:Header>`
    : '';
  return `<S:Envelope xmlns:S="${SOAP}">${header}<S:Body>${responseXml}</S:Body></S:Envelope>`;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const at = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString();

export async function startSamlTestIdp(options: SamlTestIdpOptions): Promise<SamlTestIdp> {
  const received: ReceivedRequest[] = [];
  const users = options.users;
  const userOf = (username: string): SamlTestUser | undefined => (typeof users === 'function' ? users(username) : Object.hasOwn(users, username) ? users[username] : undefined);
  let entityId = '';
  const idp: SamlTestIdp = {
    url: '',
    get entityId() {
      return entityId;
    },
    keys: options.keys,
    received,
    answer: (request) => idp.signedAnswer(request),
    responseXml(request, o = {}) {
      const issuer = o.issuer ?? entityId;
      const destination = o.destination === undefined ? options.assertionConsumerServiceUrl : o.destination;
      const inResponseTo = o.inResponseTo ?? request.id;
      const user = userOf(request.username);
      const attributes = (o.attributes ?? user?.attributes ?? [])
        .map(
          (a) =>
            `<saml:Attribute Name="${escape(a.name)}"${a.friendlyName ? ` FriendlyName="${escape(a.friendlyName)}"` : ''} NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">` +
            a.values
              .map((v) =>
                o.namespacesOnEnvelope
                  ? `<saml:AttributeValue xsi:type="xsd:string">${escape(v)}</saml:AttributeValue>`
                  : `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${escape(v)}</saml:AttributeValue>`,
              )
              .join('') +
            '</saml:Attribute>',
        )
        .join('');
      const responseIssuer = o.responseIssuer === null ? '' : `<saml:Issuer>${escape(o.responseIssuer ?? issuer)}</saml:Issuer>`;
      let assertion =
        `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a${randomUUID()}" Version="2.0" IssueInstant="${at(0)}">` +
        `<saml:Issuer>${escape(issuer)}</saml:Issuer>` +
        `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${escape(o.nameId ?? request.username)}</saml:NameID>` +
        `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${escape(inResponseTo)}" NotOnOrAfter="${at(o.notOnOrAfter ?? 300)}" Recipient="${escape(o.recipient ?? options.assertionConsumerServiceUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
        `<saml:Conditions NotBefore="${at(o.notBefore ?? -5)}" NotOnOrAfter="${at(o.notOnOrAfter ?? 300)}"><saml:AudienceRestriction><saml:Audience>${escape(o.audience ?? options.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
        `<saml:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="_s${randomUUID()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
        (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
        '</saml:Assertion>';
      const signWith = o.signWith ?? options.keys;
      if (signWith !== 'none') assertion = signElement(assertion, 'Assertion', signWith);
      let response =
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomUUID()}" Version="2.0" IssueInstant="${at(0)}" InResponseTo="${escape(inResponseTo)}"${destination ? ` Destination="${escape(destination)}"` : ''}>` +
        responseIssuer +
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
        assertion +
        '</samlp:Response>';
      if (o.signResponse) response = signElement(response, 'Response', o.signResponse);
      return o.afterSigning ? o.afterSigning(response) : response;
    },
    signedAnswer(request, o = {}) {
      if (o.namespacesOnEnvelope) {
        const unsigned = idp.responseXml(request, { ...o, signWith: 'none' });
        const envelope = `<S:Envelope xmlns:S="${SOAP}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><S:Body>${unsigned}</S:Body></S:Envelope>`;
        const signWith = o.signWith === 'none' || o.signWith === undefined ? options.keys : o.signWith;
        return { status: 200, contentType: 'text/xml; charset=utf-8', body: signElement(envelope, 'Assertion', signWith, ['xsd']) };
      }
      return { status: 200, contentType: 'text/xml; charset=utf-8', body: inSoapEnvelope(idp.responseXml(request, o), options.assertionConsumerServiceUrl) };
    },
    close: async () => {},
  };

  const hanging = new Set<ServerResponse>();
  const { server, port } = await serveOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const envelope = Buffer.concat(chunks).toString('utf8');
        const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
        const decoded = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
        const colon = decoded.indexOf(':');
        const username = decoded.slice(0, colon);
        const user = colon > 0 ? userOf(username) : undefined;
        if (!user || user.password !== decoded.slice(colon + 1)) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="test-idp"', 'content-type': 'text/plain' }).end('unauthorized');
          return;
        }
        const id = /<samlp:AuthnRequest\b[^>]*\sID="([^"]+)"/.exec(envelope)?.[1] ?? '';
        const request: ReceivedRequest = { id, username, envelope, headers: req.headers };
        if (options.recordRequests !== false) received.push(request);
        const answer = await idp.answer(request);
        if (answer === 'hang') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
      })();
    });
  }, options.tls);
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/idp/profile/SAML2/SOAP/ECP`;
  entityId = `http://127.0.0.1:${port}/idp/shibboleth`;
  Object.assign(idp, { url });
  idp.close = () => closeServer(server, hanging);
  return idp;
}

function closeServer(server: Server, hanging: Set<ServerResponse>): Promise<void> {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
