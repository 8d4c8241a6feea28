import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSamlEcpConnector } from '../../src/connectors/saml/saml-ecp-connector.js';
import { deadlineIn } from '../../src/login/deadline.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import type { LoginAttempt, LoginOutcome } from '../../src/login/vocabulary.js';
import { answerIdentity } from '../../src/loginshare/login-flow.js';
import { evaluateRules, parseRules } from '../../src/rules/index.js';
import { ensureSamlEcpClient, type KeycloakSamlEcpClient } from '../support/keycloak-admin.js';
import { KEYCLOAK_USERS } from '../support/keycloak-fixture.js';
import { describeWithServer } from '../support/require-server.js';
import { samlPresetConnector } from '../support/saml-presets.js';
import { samlLoginShare } from '../support/saml-loginshare.js';
import { samlKeyPair } from '../support/saml-test-idp.js';
import { KAYAKO_BAD_LOGIN_PHRASE } from '../../src/probe/kayako-answer.js';

/**
 * The saml-ecp connector, configured from providers/keycloak-saml/connector.yaml, against the real Keycloak the
 * harness starts: a SAML client with ECP allowed and signed assertions, a group-list mapper and attribute mappers
 * (registered by `ensureSamlEcpClient`). A success is carried through the rules to the XML Kayako reads.
 */
const RULES_TEXT = `defaults:
  user: { usergroup: Registered, organizationtype: restricted }
unmatched: { user: default, staff: deny }
rules:
  - name: enterprise-customers
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: BigCorp, organizationtype: shared, designation: "{{ claims.jobTitle }}" }
`;
const RULES = parseRules(RULES_TEXT, 'keycloak-saml-rules.yaml');

const xml = new XMLParser({ parseTagValue: false });
const attempt = (username: string, password: string): LoginAttempt => ({ username, password, endUserIp: '192.0.2.10', audience: 'user', realmId: 'main' });

function identityOf(outcome: LoginOutcome) {
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${outcome.kind}: ${'cause' in outcome ? outcome.cause.message : ('detail' in outcome ? outcome.detail : '')}`);
  return outcome.identity;
}

describeWithServer('keycloak', 'Keycloak through the saml-ecp connector (keycloak-saml preset)', (keycloak) => {
  let client: KeycloakSamlEcpClient;
  let connector: PasswordConnector;
  beforeAll(async () => {
    client = await ensureSamlEcpClient(keycloak);
    connector = createSamlEcpConnector(
      samlPresetConnector(
        'keycloak-saml',
        {
          ecpUrl: client.ecpUrl,
          idpEntityId: client.idpEntityId,
          idpCertificates: client.idpCertificates,
          spEntityId: client.spEntityId,
          assertionConsumerServiceUrl: client.assertionConsumerServiceUrl,
          allowInsecureHttp: true,
          timeoutMs: 15_000,
        },
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await connector?.close?.();
  });

  it('logs in with the SAML password: NameID, mapped attributes and the group list, then the rules’ profile', async () => {
    const alice = KEYCLOAK_USERS.alice;
    const identity = identityOf(await connector.login(attempt(alice.username, alice.password), deadlineIn(20_000)));
    expect(identity).toMatchObject({
      subject: 'alice',
      username: 'alice',
      emails: [alice.email],
      givenName: alice.givenName,
      familyName: alice.familyName,
      displayName: `${alice.givenName} ${alice.familyName}`,
      connectorId: 'keycloak-saml',
    });
    expect(identity.groups.sort()).toEqual([...alice.groups].sort());
    expect(identity.claims).toMatchObject({ issuer: client.idpEntityId, jobTitle: [alice.jobTitle], mail: [alice.email] });

    const decision = evaluateRules(RULES, { audience: 'user', identity, realmId: 'main' });
    const answer = answerIdentity('user', identity, decision, connector.id);
    expect(answer).toMatchObject({ outcome: 'ok', rule: 'enterprise-customers', usergroup: 'Enterprise' });
    expect(xml.parse(answer.xml)).toMatchObject({
      loginshare: {
        result: '1',
        user: { usergroup: 'Enterprise', fullname: 'Alice Anderson', designation: alice.jobTitle, organization: 'BigCorp', emails: { email: alice.email } },
      },
    });
  });

  it('answers a wrong password and an unknown user as invalid credentials', async () => {
    for (const [username, password] of [[KEYCLOAK_USERS.mistypedMike.username, 'not-his-password'], ['nobody-by-this-name', 'whatever-1']] as const) {
      const outcome = await connector.login(attempt(username, password), deadlineIn(20_000));
      expect({ kind: outcome.kind, why: 'cause' in outcome ? outcome.cause.message : undefined }, username).toEqual({ kind: 'invalid_credentials', why: undefined });
    }
  });

  it('refuses the real answer when the configured certificate is another key’s, or the IdP entity id is another', async () => {
    const bob = KEYCLOAK_USERS.bobAgent;
    const base = {
      ecpUrl: client.ecpUrl,
      spEntityId: client.spEntityId,
      assertionConsumerServiceUrl: client.assertionConsumerServiceUrl,
      allowInsecureHttp: true,
      timeoutMs: 15_000,
    };
    const wrongIssuer = createSamlEcpConnector(samlPresetConnector('keycloak-saml', { ...base, idpEntityId: `${client.idpEntityId}-other`, idpCertificates: client.idpCertificates }));
    const otherKey = createSamlEcpConnector(samlPresetConnector('keycloak-saml', { ...base, idpEntityId: client.idpEntityId, idpCertificates: [(await samlKeyPair('not-keycloak')).certificate] }));
    try {
      const outcome = await wrongIssuer.login(attempt(bob.username, bob.password), deadlineIn(20_000));
      expect(outcome.kind).toBe('misconfigured');
      expect('cause' in outcome && outcome.cause.message).toMatch(/Issuer/);
      const unverified = await otherKey.login(attempt(bob.username, bob.password), deadlineIn(20_000));
      expect(unverified.kind).toBe('misconfigured');
      expect('cause' in unverified && unverified.cause.message).toMatch(/Invalid (document )?signature/);
    } finally {
      await wrongIssuer.close?.();
      await otherKey.close?.();
    }
  });

  it('answers Kayako through the LoginShare route: result 1 with the mapped profile, the bad-login phrase for a wrong password', async () => {
    const { id: _id, type: _type, ...section } = samlPresetConnector('keycloak-saml', {
      ecpUrl: client.ecpUrl,
      idpEntityId: client.idpEntityId,
      idpCertificates: client.idpCertificates,
      spEntityId: client.spEntityId,
      assertionConsumerServiceUrl: client.assertionConsumerServiceUrl,
      allowInsecureHttp: true,
      timeoutMs: 15_000,
    });
    const bridge = await samlLoginShare(section, { loginTimeoutMs: 20_000, rules: RULES_TEXT });
    try {
      const alice = KEYCLOAK_USERS.alice;
      const ok = await bridge.login(alice.username, alice.password);
      expect(ok.verdict).toMatchObject({ accepted: true, user: { usergroup: 'Enterprise', fullname: 'Alice Anderson', emails: [alice.email] } });
      const wrong = await bridge.login(KEYCLOAK_USERS.mistypedMike.username, 'still-not-his-password');
      expect(wrong.verdict).toMatchObject({ accepted: false, kayakoMessage: KAYAKO_BAD_LOGIN_PHRASE });
    } finally {
      await bridge.close();
    }
  });
});
