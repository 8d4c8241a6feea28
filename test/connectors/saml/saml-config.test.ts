import { describe, expect, it } from 'vitest';
import { samlEcpConnectorSchema } from '../../../src/connectors/saml/saml-config.js';
import { makeTestCertificates } from '../../support/test-ca.js';

async function issuesFor(ecpUrl: string, allowInsecureHttp: boolean): Promise<string[]> {
  const { certPem } = await makeTestCertificates();
  const result = samlEcpConnectorSchema.safeParse({
    id: 'campus',
    type: 'saml-ecp',
    ecpUrl,
    idpEntityId: 'https://idp.example.edu/idp/shibboleth',
    idpCertificates: [certPem],
    spEntityId: 'https://loginshare.example.edu/sp',
    assertionConsumerServiceUrl: 'https://loginshare.example.edu/saml/ecp',
    allowInsecureHttp,
  });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('saml-ecp ecpUrl over plain http', () => {
  it('is refused without allowInsecureHttp, even on loopback', async () => {
    expect(await issuesFor('http://127.0.0.1:8443/idp/profile/SAML2/SOAP/ECP', false)).toEqual([
      'ecpUrl: must be https:// (the password travels in it; allowInsecureHttp is for loopback tests only)',
    ]);
  });

  it('is allowed with allowInsecureHttp to a loopback host only: the password would cross the network in clear', async () => {
    expect(await issuesFor('http://127.0.0.1:8443/ecp', true)).toEqual([]);
    expect(await issuesFor('http://localhost:8443/ecp', true)).toEqual([]);
    expect(await issuesFor('http://idp.example.edu/idp/profile/SAML2/SOAP/ECP', true)).toEqual([
      'ecpUrl: http://idp.example.edu/idp/profile/SAML2/SOAP/ECP is plain http to idp.example.edu, which is not a loopback host: use https:// (allowInsecureHttp covers 127.0.0.0/8, ::1 and localhost only)',
    ]);
  });

  it('takes https:// to any host', async () => {
    expect(await issuesFor('https://idp.example.edu/idp/profile/SAML2/SOAP/ECP', false)).toEqual([]);
  });
});
