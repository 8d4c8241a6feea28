import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigFileError } from '../../src/config/file-errors.js';
import { validateConfig } from '../../src/config/load-config.js';
import { parseYamlSource } from '../../src/config/yaml-file.js';
import type { LdapConnectorConfig } from '../../src/connectors/ldap/ldap-config.js';
import { LDAP_PRESET_NAMES, presetEnv, presetPath, readPreset, type LdapPresetName } from '../support/presets.js';
import { makeTestCertificates } from '../support/test-ca.js';

/** The LDAP presets through the bridge's real config validation, as an operator pastes them under `connectors:`. */
let caPem: string;
beforeAll(async () => {
  caPem = (await makeTestCertificates()).caPem;
}, 60_000);

function configWith(name: LdapPresetName, text = readPreset(name)): { text: string; env: Record<string, string> } {
  const connector = parse(text) as { id: string };
  const config = {
    connectors: [connector],
    realms: [{ id: 'main', secret: '${KAYAKO_SECRET}', rules: 'rules.yaml', connectors: [{ use: connector.id }] }],
  };
  const env = presetEnv(text, { AD_CA_BUNDLE: caPem, LDAP_CA_BUNDLE: caPem });
  return { text: stringify(config), env: { ...env, KAYAKO_SECRET: 'a-kayako-secret-of-some-length' } };
}

function validated(name: LdapPresetName, text?: string): LdapConnectorConfig {
  const { text: config, env } = configWith(name, text);
  return validateConfig(parseYamlSource(config, `${name}.yaml`), env).connectors[0] as unknown as LdapConnectorConfig;
}

describe('LDAP provider presets', () => {
  it.each(LDAP_PRESET_NAMES)('%s passes the config file validation as pasted, with a setup guide beside it', (name) => {
    const connector = validated(name);
    expect(connector.type).toBe('ldap');
    expect(connector.bind).toBe('search');
    expect(connector.tls.verifyCertificate).toBe(true);
    expect(connector.allowPlainLdap).toBe(false);
    expect(connector.attributes.proxyAddresses).toBe(false);
    expect(connector.groups.nested).toBe(true);
    expect(readFileSync(presetPath(name, 'README.md'), 'utf8').length).toBeGreaterThan(1_500);
  });

  it.each(LDAP_PRESET_NAMES)('%s keeps the service password and the CA bundle in ${ENV} references, and uses TLS', (name) => {
    const text = readPreset(name);
    expect(/^\s*password:\s*(\S+)/m.exec(text)?.[1]).toMatch(/^\$\{[A-Z0-9_]+\}$/);
    const connector = validated(name);
    expect(connector.urls.every((url) => url.startsWith('ldaps://')) || connector.tls.startTls).toBe(true);
  });

  it('Active Directory: the AD defaults (objectGUID, sAMAccountName / UPN / mail, in-chain groups) and two DCs', () => {
    const ad = validated('active-directory');
    expect(ad.directory).toBe('active-directory');
    expect(ad.urls.length).toBeGreaterThanOrEqual(2);
    expect(ad.attributes.subject).toEqual(['objectGUID']);
    expect(ad.userSearch?.filter).toContain('(sAMAccountName={username})');
    expect(ad.userSearch?.filter).toContain('(userPrincipalName={username})');
  });

  it('refuses a preset edited into plain ldap:// to a DC, naming the line', () => {
    const edited = readPreset('active-directory').replace('ldaps://dc1.corp.example.com:636', 'ldap://dc1.corp.example.com:389');
    try {
      validated('active-directory', edited);
      expect.unreachable('the edited preset should be refused');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigFileError);
      expect((err as Error).message).toMatch(/active-directory\.yaml:\d+:\d+ connectors\[0\]\.urls\[0\]: plain ldap:\/\//);
    }
  });

  it('refuses a CA bundle that is not one', () => {
    const { text, env } = configWith('openldap');
    expect(() => validateConfig(parseYamlSource(text, 'openldap.yaml'), { ...env, LDAP_CA_BUNDLE: '-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----' })).toThrow(
      /connectors\[0\]\.tls\.ca: certificate 1 of the bundle does not parse/,
    );
  });
});
