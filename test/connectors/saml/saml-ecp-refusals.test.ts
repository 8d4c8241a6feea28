import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAYAKO_BAD_LOGIN_PHRASE } from '../../../src/probe/kayako-answer.js';
import { inSoapEnvelope, samlKeyPair, startSamlTestIdp, type AssertionOptions, type IdpAnswer, type ReceivedRequest, type SamlKeyPair, type SamlTestIdp } from '../../support/saml-test-idp.js';
import { samlLoginShare, type SamlLoginShare } from '../../support/saml-loginshare.js';

/**
 * The saml-ecp connector behind the real LoginShare route, against a loopback ECP IdP that signs with its own
 * keys: one good answer is accepted with its attributes, and every forged, misdirected, stale or broken answer is
 * refused — none of them gets `result 1`.
 */
const SP = 'https://bridge.example.test/sp';
const ACS = 'https://bridge.example.test/saml/ecp';
const LOGIN_TIMEOUT_MS = 2_500;

const ALICE = [
  { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', values: ['Alice@Corp.Example'] },
  { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', values: ['Alice'] },
  { name: 'urn:oid:2.5.4.4', friendlyName: 'sn', values: ['Anderson'] },
  { name: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1', friendlyName: 'isMemberOf', values: ['Enterprise', 'Customers'] },
];

let idpKeys: SamlKeyPair;
let otherKeys: SamlKeyPair;
let idp: SamlTestIdp;
let bridge: SamlLoginShare;

beforeAll(async () => {
  [idpKeys, otherKeys] = await Promise.all([samlKeyPair('test-idp'), samlKeyPair('someone-else')]);
  idp = await startSamlTestIdp({
    keys: idpKeys,
    spEntityId: SP,
    assertionConsumerServiceUrl: ACS,
    users: { alice: { password: 'alice-pw', attributes: ALICE }, mallory: { password: 'mallory-pw', attributes: [] } },
  });
  bridge = await samlLoginShare(
    {
      ecpUrl: idp.url,
      idpEntityId: idp.entityId,
      // Only the IdP's certificate is trusted: "another key" is not one of them.
      idpCertificates: [idpKeys.certificate],
      spEntityId: SP,
      assertionConsumerServiceUrl: ACS,
      attributes: { emails: ['mail'], groups: ['urn:oid:1.3.6.1.4.1.5923.1.5.1.1'], familyName: ['sn'] },
      timeoutMs: 10_000,
    },
    {
      loginTimeoutMs: LOGIN_TIMEOUT_MS,
      rules: 'rules:\n  - name: enterprise\n    audience: user\n    when: { groups: { any: [Enterprise] } }\n    set: { usergroup: Enterprise }\n',
    },
  );
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  await idp?.close();
});

function answering(answer: (request: ReceivedRequest) => IdpAnswer | Promise<IdpAnswer>) {
  idp.answer = answer;
}

function signed(options: AssertionOptions) {
  answering((request) => idp.signedAnswer(request, options));
}

/** Refused, for the expected reason: the audit line's outcome and detail (what the operator reads). */
async function expectRefused(expectedOutcome: RegExp, expectedDetail: RegExp) {
  const before = bridge.lines.length;
  const { verdict, elapsedMs } = await bridge.login('alice', 'alice-pw');
  expect(verdict.accepted, JSON.stringify(verdict)).toBe(false);
  const audit = bridge.lines.slice(before).find((line) => typeof line['outcome'] === 'string' && line['connector'] !== undefined) ?? bridge.lines.slice(before).find((line) => typeof line['outcome'] === 'string');
  expect(String(audit?.['outcome']), JSON.stringify(bridge.lines.slice(before))).toMatch(expectedOutcome);
  expect(String(audit?.['detail'])).toMatch(expectedDetail);
  return { verdict, elapsedMs, lines: bridge.lines.slice(before) };
}

describe('saml-ecp through the LoginShare route, against a test IdP with its own keys', () => {
  it('accepts a correctly signed assertion and maps NameID, attributes and groups to the Kayako profile', async () => {
    answering((request) => idp.signedAnswer(request));
    const { verdict } = await bridge.login('alice', 'alice-pw');
    expect(verdict).toMatchObject({ accepted: true, user: { fullname: 'Alice Anderson', emails: ['alice@corp.example'], usergroup: 'Enterprise' } });
    const request = idp.received.at(-1)!;
    expect(request.envelope).toMatch(/ProtocolBinding="urn:oasis:names:tc:SAML:2\.0:bindings:PAOS"/);
    expect(request.envelope).toContain(`AssertionConsumerServiceURL="${ACS}"`);
    expect(request.headers['content-type']).toMatch(/^text\/xml/);
  });

  it('verifies an assertion whose signature covers namespace declarations it inherits from the SOAP Envelope', async () => {
    signed({ namespacesOnEnvelope: true });
    const { verdict } = await bridge.login('alice', 'alice-pw');
    expect(verdict, JSON.stringify(bridge.lines.at(-1))).toMatchObject({ accepted: true, user: { emails: ['alice@corp.example'] } });
    expect(idp.received.length).toBeGreaterThan(0);
  });

  it('refuses a wrong password (the IdP answers 401) with Kayako’s bad-login phrase', async () => {
    const { verdict } = await bridge.login('alice', 'not-the-password');
    expect(verdict).toMatchObject({ accepted: false, kayakoMessage: KAYAKO_BAD_LOGIN_PHRASE });
  });

  it('refuses a signature that does not verify (SignatureValue altered)', async () => {
    signed({ afterSigning: (xml) => xml.replace(/<SignatureValue>(.)/, (_, c: string) => `<SignatureValue>${c === 'A' ? 'B' : 'A'}`) });
    await expectRefused(/misconfigured/, /Invalid signature/);
  });

  it('refuses an assertion signed by another key', async () => {
    signed({ signWith: otherKeys });
    await expectRefused(/misconfigured/, /Invalid signature/);
  });

  it('refuses an unsigned assertion, and one whose Response alone is signed', async () => {
    signed({ signWith: 'none' });
    await expectRefused(/misconfigured/, /Invalid signature/);
    signed({ signWith: 'none', signResponse: idpKeys });
    await expectRefused(/misconfigured/, /Invalid signature/);
  });

  it('refuses an assertion for another audience', async () => {
    signed({ audience: 'https://some-other-sp.example.test' });
    await expectRefused(/misconfigured/, /audience mismatch/);
  });

  it('refuses an expired assertion and one not valid yet (beyond the clock skew)', async () => {
    signed({ notBefore: -900, notOnOrAfter: -120 });
    await expectRefused(/misconfigured/, /No valid subject confirmation|expired/);
    signed({ notBefore: 300, notOnOrAfter: 900 });
    await expectRefused(/misconfigured/, /not yet valid/);
  });

  it('refuses an assertion issued by another entity, even signed with the trusted key', async () => {
    signed({ issuer: 'https://evil.example.test/idp' });
    await expectRefused(/misconfigured/, /assertion's Issuer/);
    signed({ responseIssuer: 'https://evil.example.test/idp' });
    await expectRefused(/misconfigured/, /Response's Issuer/);
  });

  it('refuses an answer to another request (InResponseTo), even to one still pending', async () => {
    signed({ inResponseTo: '_not-a-request-of-ours' });
    await expectRefused(/misconfigured/, /InResponseTo/);

    // Two logins at once: the second is answered with the (valid, signed) answer meant for the first.
    let first: ReceivedRequest | undefined;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    answering(async (request) => {
      if (!first) {
        first = request;
        await firstHeld;
        return idp.signedAnswer(request);
      }
      const forFirst = idp.signedAnswer(first);
      releaseFirst();
      return forFirst;
    });
    const firstLogin = bridge.login('alice', 'alice-pw');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const secondLogin = bridge.login('alice', 'alice-pw');
    const [a, b] = await Promise.all([firstLogin, secondLogin]);
    expect(a.verdict.accepted).toBe(true);
    expect(b.verdict.accepted).toBe(false);
  });

  it('refuses an answer addressed to another consumer (Destination, Recipient, ecp:Response header)', async () => {
    signed({ destination: 'https://elsewhere.example.test/acs' });
    await expectRefused(/misconfigured/, /addressed to https:\/\/elsewhere/);
    signed({ recipient: 'https://elsewhere.example.test/acs' });
    await expectRefused(/misconfigured/, /Recipient https:\/\/elsewhere/);
    answering((request) => ({ status: 200, contentType: 'text/xml', body: inSoapEnvelope(idp.responseXml(request), 'https://elsewhere.example.test/acs') }));
    await expectRefused(/misconfigured/, /addresses its answer to https:\/\/elsewhere/);
  });

  it('refuses a NameID changed after signing', async () => {
    signed({ nameId: 'mallory', afterSigning: (xml) => xml.replace('>mallory</saml:NameID>', '>alice</saml:NameID>') });
    await expectRefused(/misconfigured/, /Invalid signature/);
  });

  it('refuses a comment inside the NameID (the signature-preserving truncation trick)', async () => {
    signed({ nameId: 'alice@corp.example.evil.test', afterSigning: (xml) => xml.replace('>alice@corp.example.evil.test<', '>alice@corp.example<!---->.evil.test<') });
    await expectRefused(/misconfigured/, /XML comment/);
  });

  it('refuses XML signature wrapping: a forged assertion beside the genuine signed one', async () => {
    // Mallory's genuine signed assertion moved into the Response's Extensions; a copy claiming to be alice, carrying
    // mallory's signature, where the assertion goes.
    answering((request) => {
      const genuine = idp.responseXml({ ...request, username: 'mallory' }, { nameId: 'mallory' });
      const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(genuine)![0];
      const forged = assertion.replace(/ID="[^"]+"/, 'ID="_forged"').replace('>mallory</saml:NameID>', '>alice</saml:NameID>');
      const wrapped = genuine.replace(assertion, `<samlp:Extensions>${assertion}</samlp:Extensions>${forged}`);
      return { status: 200, contentType: 'text/xml', body: inSoapEnvelope(wrapped, ACS) };
    });
    await expectRefused(/misconfigured/, /Invalid signature/);
    // And the other classic shape: the forged assertion first, the genuine one after it.
    answering((request) => {
      const genuine = idp.responseXml(request);
      const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(genuine)![0];
      const forged = assertion.replace(/ID="[^"]+"/, 'ID="_forged"').replace(/<Signature[\s\S]*<\/Signature>/, '').replace('>alice</saml:NameID>', '>admin</saml:NameID>');
      return { status: 200, contentType: 'text/xml', body: inSoapEnvelope(genuine.replace(assertion, forged + assertion), ACS) };
    });
    await expectRefused(/misconfigured/, /multiple assertions/);
  });

  it('refuses SAML failure statuses: AuthnFailed as wrong credentials, RequestDenied as a refusal', async () => {
    const status = (second: string) => (request: ReceivedRequest): IdpAnswer => ({
      status: 200,
      contentType: 'text/xml',
      body: inSoapEnvelope(
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0" IssueInstant="${new Date().toISOString()}" InResponseTo="${request.id}"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${second}"/></samlp:StatusCode></samlp:Status></samlp:Response>`,
      ),
    });
    answering(status('AuthnFailed'));
    const { verdict } = await expectRefused(/invalid_credentials/, /^undefined$/);
    expect(verdict).toMatchObject({ kayakoMessage: KAYAKO_BAD_LOGIN_PHRASE });
    answering(status('RequestDenied'));
    await expectRefused(/disabled/, /RequestDenied/);
  });

  it('refuses a SOAP fault, with HTTP 500 or 200', async () => {
    const fault = (code: string) => `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>S:${code}</faultcode><faultstring>something broke</faultstring></S:Fault></S:Body></S:Envelope>`;
    answering(() => ({ status: 500, contentType: 'text/xml', body: fault('Server') }));
    await expectRefused(/unavailable/, /SOAP fault S:Server/);
    answering(() => ({ status: 200, contentType: 'text/xml', body: fault('Client') }));
    await expectRefused(/misconfigured/, /SOAP fault S:Client/);
  });

  it('refuses an HTML error page and an answer that is not XML at all', async () => {
    answering(() => ({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><html><body><h1>Login</h1><form>…</form></body></html>' }));
    await expectRefused(/unavailable/, /HTML page/);
    answering(() => ({ status: 502, contentType: 'text/html', body: '<html><body>Bad gateway</body></html>' }));
    await expectRefused(/unavailable/, /HTML page \(HTTP 502\)/);
    answering(() => ({ status: 200, contentType: 'text/plain', body: 'ok' }));
    await expectRefused(/unavailable/, /no usable SOAP answer/);
  });

  it('answers a hung IdP within the login deadline, refused', async () => {
    answering(() => 'hang');
    const { elapsedMs } = await expectRefused(/unavailable/, /in time|deadline/);
    expect(elapsedMs).toBeLessThan(LOGIN_TIMEOUT_MS + 1_500);
    expect(elapsedMs).toBeGreaterThan(LOGIN_TIMEOUT_MS - 500);
  });
});
