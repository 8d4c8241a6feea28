import { describe, expect, it } from 'vitest';
import { samlAttributeMappingSchema } from '../../../src/connectors/saml/saml-config.js';
import { identityFromAssertion, readAssertion } from '../../../src/connectors/saml/saml-attributes.js';
import { parseStrictXml } from '../../../src/connectors/saml/xml-dom.js';

/** Assertion attributes → identity, as a Shibboleth release names them (URI names, FriendlyNames, several values). */
const ASSERTION = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
  <saml:Issuer>https://idp.example.edu/idp/shibboleth</saml:Issuer>
  <saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">_transient-42</saml:NameID></saml:Subject>
  <saml:AttributeStatement>
    <saml:Attribute Name="urn:oid:1.3.6.1.4.1.5923.1.1.1.6" FriendlyName="eduPersonPrincipalName"><saml:AttributeValue>jdoe@example.edu</saml:AttributeValue></saml:Attribute>
    <saml:Attribute Name="urn:oid:0.9.2342.19200300.100.1.3" FriendlyName="mail"><saml:AttributeValue>J.Doe@Example.edu</saml:AttributeValue><saml:AttributeValue>jdoe@alumni.example.edu</saml:AttributeValue></saml:Attribute>
    <saml:Attribute Name="urn:oid:2.5.4.42" FriendlyName="givenName"><saml:AttributeValue>Jane</saml:AttributeValue></saml:Attribute>
    <saml:Attribute Name="urn:oid:2.5.4.4" FriendlyName="sn"><saml:AttributeValue>Doe</saml:AttributeValue></saml:Attribute>
    <saml:Attribute Name="urn:oid:1.3.6.1.4.1.5923.1.5.1.1" FriendlyName="isMemberOf"><saml:AttributeValue>Staff</saml:AttributeValue><saml:AttributeValue>Library</saml:AttributeValue></saml:Attribute>
    <saml:Attribute Name="urn:oid:1.3.6.1.4.1.5923.1.1.1.9" FriendlyName="eduPersonScopedAffiliation"><saml:AttributeValue>staff@example.edu</saml:AttributeValue><saml:AttributeValue>Staff</saml:AttributeValue></saml:Attribute>
    <saml:Attribute Name="urn:oid:2.5.4.12" FriendlyName="title"/>
  </saml:AttributeStatement>
</saml:Assertion>`;

const context = { connectorId: 'campus', issuer: 'https://idp.example.edu/idp/shibboleth', typedUsername: 'jdoe' };
const subject = readAssertion(parseStrictXml(ASSERTION));

describe('SAML attributes → identity', () => {
  it('takes subject and username from an attribute, by URI name, and merges multi-valued groups', () => {
    const mapping = samlAttributeMappingSchema.parse({
      subject: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6',
      username: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6',
      emails: ['urn:oid:0.9.2342.19200300.100.1.3'],
      groups: ['urn:oid:1.3.6.1.4.1.5923.1.5.1.1', 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9'],
    });
    expect(identityFromAssertion(subject, mapping, context)).toEqual({
      subject: 'jdoe@example.edu',
      username: 'jdoe@example.edu',
      emails: ['j.doe@example.edu', 'jdoe@alumni.example.edu'],
      givenName: 'Jane',
      familyName: 'Doe',
      displayName: 'Jane Doe',
      groups: ['Staff', 'Library', 'staff@example.edu'],
      connectorId: 'campus',
      claims: expect.objectContaining({
        issuer: context.issuer,
        nameId: '_transient-42',
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
        mail: ['J.Doe@Example.edu', 'jdoe@alumni.example.edu'],
        'urn:oid:0.9.2342.19200300.100.1.3': ['J.Doe@Example.edu', 'jdoe@alumni.example.edu'],
        eduPersonPrincipalName: ['jdoe@example.edu'],
      }),
    });
  });

  it('finds attributes by FriendlyName, and the NameID by default', () => {
    const identity = identityFromAssertion(subject, samlAttributeMappingSchema.parse({ emails: ['mail'], groups: ['isMemberOf'] }), context);
    expect(identity).toMatchObject({ subject: '_transient-42', username: '_transient-42', emails: ['j.doe@example.edu', 'jdoe@alumni.example.edu'], groups: ['Staff', 'Library'] });
    // An attribute without values is absent, not an empty claim.
    expect(identity?.claims).not.toHaveProperty('title');
  });

  it('gives no identity when the configured subject is missing', () => {
    expect(identityFromAssertion(subject, samlAttributeMappingSchema.parse({ subject: 'urn:oid:0.9.2342.19200300.100.1.1' }), context)).toBeUndefined();
  });
});
