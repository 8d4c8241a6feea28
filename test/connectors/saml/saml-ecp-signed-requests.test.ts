import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { samlKeyPair, startSamlTestIdp, type SamlKeyPair, type SamlTestIdp } from '../../support/saml-test-idp.js';
import { samlLoginShare, type SamlLoginShare } from '../../support/saml-loginshare.js';

/** `signRequests`: the AuthnRequest the IdP receives carries an enveloped signature by the SP's key, over PAOS. */
interface XmlCryptoVerifier {
  SignedXml: new (options: { publicCert: string }) => { loadSignature(signature: string): void; checkSignature(xml: string): boolean };
}
const { SignedXml } = createRequire(import.meta.url)('xml-crypto') as XmlCryptoVerifier;

const SP = 'https://bridge.example.test/sp';
const ACS = 'https://bridge.example.test/saml/ecp';
let spKeys: SamlKeyPair;
let strangerKeys: SamlKeyPair;
let idp: SamlTestIdp;
let bridge: SamlLoginShare;

beforeAll(async () => {
  const [idpKeys, sp, stranger] = await Promise.all([samlKeyPair('test-idp'), samlKeyPair('bridge-sp'), samlKeyPair('stranger')]);
  spKeys = sp;
  strangerKeys = stranger;
  idp = await startSamlTestIdp({ keys: idpKeys, spEntityId: SP, assertionConsumerServiceUrl: ACS, users: { alice: { password: 'alice-pw', attributes: [{ name: 'email', values: ['alice@corp.example'] }] } } });
  bridge = await samlLoginShare({
    ecpUrl: idp.url,
    idpEntityId: idp.entityId,
    idpCertificates: [idpKeys.certificate.replace(/-----[A-Z ]+-----|\s/g, '')],
    spEntityId: SP,
    assertionConsumerServiceUrl: ACS,
    signRequests: { privateKey: spKeys.privateKey, certificate: spKeys.certificate },
  });
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  await idp?.close();
});

function verifies(authnRequest: string, certificate: string): boolean {
  const signature = /<(?:ds:)?Signature\b[\s\S]*<\/(?:ds:)?Signature>/.exec(authnRequest)?.[0];
  if (!signature) return false;
  const verifier = new SignedXml({ publicCert: certificate });
  verifier.loadSignature(signature);
  try {
    return verifier.checkSignature(authnRequest);
  } catch {
    return false; // xml-crypto throws for a signature value that does not verify
  }
}

it('signs the AuthnRequest with the SP key after naming the PAOS binding, and the login succeeds (IdP cert given as bare base64)', async () => {
  const { verdict } = await bridge.login('alice', 'alice-pw');
  expect(verdict.accepted, JSON.stringify(bridge.lines.map((l) => l['detail'] ?? l['msg']))).toBe(true);
  const authnRequest = /<samlp:AuthnRequest\b[\s\S]*<\/samlp:AuthnRequest>/.exec(idp.received.at(-1)!.envelope)![0];
  expect(authnRequest).toContain('ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:PAOS"');
  expect(verifies(authnRequest, spKeys.certificate)).toBe(true);
  expect(verifies(authnRequest, strangerKeys.certificate)).toBe(false);
  expect(verifies(authnRequest.replace('PAOS', 'HTTP-POST'), spKeys.certificate)).toBe(false);
});
