import { createVerify, X509Certificate } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { beforeAll, expect, it } from 'vitest';
import { createSamlWebSignIn } from '../../../src/connectors/saml/saml-web-sign-in.js';
import { signInPageSchema, type SamlSignInMethodConfig } from '../../../src/signin/signin-config.js';
import { within } from '../../../src/login/deadline.js';
import { samlKeyPair, type SamlKeyPair } from '../../support/saml-test-idp.js';

/**
 * The SAML Web SSO method's half that needs no IdP: the AuthnRequest in the redirect URL (HTTP-Redirect binding,
 * deflated, RelayState = the page's state, signed over the query as SAML Bindings §3.4.4.1 says when
 * `signRequests` is set) and the SP metadata. The answers are tested against the real Keycloak in
 * test/e2e/signin-saml.test.ts.
 */
const ACS = 'https://bridge.example.test/signin/main/saml/acs';
const SSO = 'https://idp.example.test/sso';
let spKeys: SamlKeyPair;
let idpKeys: SamlKeyPair;

beforeAll(async () => {
  [spKeys, idpKeys] = await Promise.all([samlKeyPair('bridge-sp'), samlKeyPair('idp')]);
}, 60_000);

function method(signed: boolean): SamlSignInMethodConfig {
  const page = signInPageSchema.parse({
    publicUrl: 'https://bridge.example.test',
    displayName: 'Contoso',
    method: {
      type: 'saml',
      ssoUrl: SSO,
      spEntityId: 'urn:kayako:bridge',
      idpEntityId: 'https://idp.example.test',
      idpCertificates: [idpKeys.certificate],
      ...(signed ? { signRequests: { privateKey: spKeys.privateKey, certificate: spKeys.certificate } } : {}),
    },
  });
  return page.method as SamlSignInMethodConfig;
}

async function start(signed: boolean, state = 'the-state') {
  const started = await within(5_000, 'start', (deadline) => createSamlWebSignIn(method(signed)).start({ redirectUri: ACS, state, realmId: 'main' }, deadline));
  const url = new URL(started.redirectTo);
  const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  return { url, request, pending: JSON.parse(started.pending) as { requestId: string } };
}

it('sends the browser to the SSO URL with a deflated AuthnRequest for the page’s ACS and its state as RelayState', async () => {
  const { url, request, pending } = await start(false);
  expect(`${url.origin}${url.pathname}`).toBe(SSO);
  expect(url.searchParams.get('RelayState')).toBe('the-state');
  expect(url.searchParams.has('Signature')).toBe(false);
  expect(request).toMatch(new RegExp(`\\sID="${pending.requestId}"`));
  expect(request).toContain(`AssertionConsumerServiceURL="${ACS}"`);
  expect(request).toContain(`Destination="${SSO}"`);
  expect(request).toContain('ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"');
  expect(request).toMatch(/<saml:Issuer[^>]*>urn:kayako:bridge<\/saml:Issuer>/);
  // Each start is its own request.
  expect((await start(false)).pending.requestId).not.toBe(pending.requestId);
});

it('signs the redirect with the SP key when signRequests is set: the signature verifies with its certificate only', async () => {
  const { url } = await start(true);
  const raw = new Map(url.search.slice(1).split('&').map((pair) => pair.split('=') as [string, string]));
  expect(decodeURIComponent(raw.get('SigAlg')!)).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].map((name) => `${name}=${raw.get(name)}`).join('&');
  const signature = Buffer.from(decodeURIComponent(raw.get('Signature')!), 'base64');
  const verifies = (certificate: string) => createVerify('RSA-SHA256').update(signed).verify(new X509Certificate(certificate).publicKey, signature);
  expect(verifies(spKeys.certificate)).toBe(true);
  expect(verifies(idpKeys.certificate)).toBe(false);
});

it('publishes SP metadata naming the entity id, the ACS with the HTTP-POST binding and the signing certificate', () => {
  const metadata = createSamlWebSignIn(method(true)).serviceProviderMetadata!(ACS);
  expect(metadata).toContain('entityID="urn:kayako:bridge"');
  expect(metadata).toMatch(new RegExp(`<AssertionConsumerService[^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"[^>]*Location="${ACS}"`));
  expect(metadata).toContain(spKeys.certificate.replace(/-----[A-Z ]+-----|\s/g, '').slice(0, 60));
  expect(createSamlWebSignIn(method(false)).serviceProviderMetadata!(ACS)).not.toContain('X509Certificate');
});

it('refuses a callback without a SAMLResponse before looking further', async () => {
  const signIn = createSamlWebSignIn(method(false));
  const outcome = await within(5_000, 'finish', (deadline) =>
    signIn.finish({ url: new URL(ACS), form: new URLSearchParams({ RelayState: 'the-state', SAMLResponse: 'not base64!' }) }, JSON.stringify({ requestId: '_x' }), { redirectUri: ACS, state: 'the-state', realmId: 'main' }, deadline),
  );
  expect(outcome).toEqual({ kind: 'refused', detail: 'no_saml_response' });
});
