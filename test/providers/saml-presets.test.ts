import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigFileError } from '../../src/config/file-errors.js';
import { validateConfig } from '../../src/config/load-config.js';
import { parseYamlSource } from '../../src/config/yaml-file.js';
import type { SamlEcpConnectorConfig } from '../../src/connectors/saml/saml-config.js';
import { PROVIDERS_DIR, presetEnv } from '../support/presets.js';
import { SAML_PRESET_NAMES, readSamlPreset, type SamlPresetName } from '../support/saml-presets.js';

/**
 * The SAML ECP presets go through the bridge's real config validation exactly as an operator pastes them under
 * `connectors:`, as the OIDC presets do in presets.test.ts.
 */
function configText(preset: string): string {
  return stringify({
    connectors: [parse(preset)],
    realms: [{ id: 'main', secret: '${KAYAKO_SECRET}', rules: 'rules.yaml', connectors: [{ use: parse(preset).id }] }],
  });
}

function validated(name: SamlPresetName, edit: (preset: string) => string = (p) => p): SamlEcpConnectorConfig {
  const preset = edit(readSamlPreset(name));
  const env = presetEnv(preset);
  // What an operator exports: the base64 body of the IdP's certificate.
  for (const variable of Object.keys(env)) if (variable.endsWith('_CERTIFICATE')) env[variable] = `MIIC${'A'.repeat(60)}==`;
  const config = validateConfig(parseYamlSource(configText(preset), `${name}.yaml`), { ...env, KAYAKO_SECRET: 'a-kayako-secret-of-some-length' });
  return config.connectors[0] as unknown as SamlEcpConnectorConfig;
}

describe('SAML ECP provider presets', () => {
  it.each(SAML_PRESET_NAMES)('%s passes the config file validation as pasted, strict by default', (name) => {
    const connector = validated(name);
    expect(connector).toMatchObject({ type: 'saml-ecp', wantAssertionsSigned: true, allowInsecureHttp: false, clockSkewSeconds: 30 });
    expect(connector.ecpUrl).toMatch(/^https:\/\//);
    expect(connector.assertionConsumerServiceUrl).toMatch(/^https:\/\//);
    expect(connector.idpCertificates).toHaveLength(1);
    expect(connector.attributes.groups.length).toBeGreaterThan(0);
    expect(readFileSync(`${PROVIDERS_DIR}${name}/README.md`, 'utf8').length).toBeGreaterThan(1_000);
  });

  it.each(SAML_PRESET_NAMES)('%s keeps the certificate in an ${ENV} reference', (name) => {
    const certificates = /idpCertificates:\n((?:\s+- .*\n)+)/.exec(readSamlPreset(name))?.[1] ?? '';
    expect(certificates.trim()).toMatch(/^- \$\{[A-Z0-9_]+\}$/);
  });

  it('Keycloak: its dialect, the realm endpoint, NameID as subject; Shibboleth: ePPN and isMemberOf, only the assertion signed', () => {
    expect(validated('keycloak-saml')).toMatchObject({ dialect: 'keycloak', attributes: { subject: 'nameId', groups: ['groups'] } });
    expect(validated('keycloak-saml').ecpUrl).toMatch(/\/realms\/[^/]+\/protocol\/saml$/);
    const shibboleth = validated('shibboleth');
    expect(shibboleth).toMatchObject({ dialect: 'generic', wantResponseSigned: false, attributes: { subject: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6' } });
    expect(shibboleth.ecpUrl).toMatch(/\/idp\/profile\/SAML2\/SOAP\/ECP$/);
    expect(shibboleth.attributes.groups).toContain('urn:oid:1.3.6.1.4.1.5923.1.5.1.1');
  });

  it('names the file, line and key of a mistake: an http:// ECP endpoint, an unsigned-answers setting', () => {
    const insecure = () => validated('shibboleth', (p) => p.replace('ecpUrl: https://', 'ecpUrl: http://'));
    expect(insecure).toThrow(ConfigFileError);
    expect(insecure).toThrow(/shibboleth\.yaml:\d+.*ecpUrl/s);
    expect(insecure).toThrow(/https:\/\//);
    const unsigned = () => validated('keycloak-saml', (p) => p.replace('wantAssertionsSigned: true', 'wantAssertionsSigned: false'));
    expect(unsigned).toThrow(/wantAssertionsSigned/);
  });
});
