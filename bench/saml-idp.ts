import { samlKeyPair, startSamlTestIdp } from '../test/support/saml-test-idp.js';
import { SAML_ACS_URL, SAML_SP_ENTITY_ID } from './bridge-config.js';
import { passwordOf, tokenGroupsOf } from './fixtures.js';
import { serveCommands } from './ipc.js';
import { statsHandlers, type StatsCommands } from './process-stats.js';

/**
 * A SAML ECP identity provider on loopback for measurement 7, in a process of its own: the suite's test IdP
 * (test/support/saml-test-idp.ts), which checks HTTP Basic credentials and signs every answer's assertion with
 * RSA-SHA256 (xml-crypto) — a fresh signature per login, as a real IdP must (each answer names its request).
 * The bench users (`u<n>` / `pw-u<n>`) carry mail, names and the same groups as in their ID tokens.
 */
export type SamlIdpCommands = StatsCommands;

const keys = await samlKeyPair('bench-saml-idp');
const idp = await startSamlTestIdp({
  keys,
  spEntityId: SAML_SP_ENTITY_ID,
  assertionConsumerServiceUrl: SAML_ACS_URL,
  recordRequests: false,
  users: (username) =>
    /^u\d+$/.test(username)
      ? {
          password: passwordOf(username),
          attributes: [
            { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', values: [`${username}@example.com`] },
            { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', values: ['User'] },
            { name: 'urn:oid:2.5.4.4', friendlyName: 'sn', values: [username] },
            { name: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1', friendlyName: 'isMemberOf', values: tokenGroupsOf(username) },
          ],
        }
      : undefined,
});

serveCommands<SamlIdpCommands>({ url: idp.url, entityId: idp.entityId, certificate: keys.certificate }, { ...statsHandlers() });
