import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config/file-errors.js';
import { validateConfig } from '../../src/config/load-config.js';
import { parseYamlSource } from '../../src/config/yaml-file.js';
import type { OidcConnectorConfig } from '../../src/connectors/oidc/oidc-config.js';
import { SAML_PRESET_NAMES } from '../support/saml-presets.js';
import { LDAP_PRESET_NAMES, PRESET_NAMES, PROVIDERS_DIR, presetEnv, presetItem, presetPath, readPreset, type PresetName } from '../support/presets.js';

/**
 * Every provider preset goes through the bridge's real config validation, exactly as an operator would paste
 * it under `connectors:` — so a schema change that breaks a preset fails here, not at a customer.
 */
/**
 * A config file as an operator ends up with it: the README's break-glass connector, then the preset's file
 * pasted byte for byte under it, then a realm using the connector by the id the preset gives it.
 */
function configWith(name: PresetName): { text: string; env: Record<string, string> } {
  const preset = readPreset(name);
  const id = String(presetItem(preset)['id']);
  const text =
    'connectors:\n' +
    '  - id: breakglass\n    type: local\n    users: []\n' +
    preset +
    (preset.endsWith('\n') ? '' : '\n') +
    `realms:\n  - id: main\n    secret: \${KAYAKO_SECRET}\n    rules: rules.yaml\n    connectors:\n      - use: breakglass\n      - use: ${id}\n`;
  return { text, env: { ...presetEnv(preset), KAYAKO_SECRET: 'a-kayako-secret-of-some-length' } };
}

function validated(name: PresetName): OidcConnectorConfig {
  const { text, env } = configWith(name);
  const config = validateConfig(parseYamlSource(text, `${name}.yaml`), env);
  return config.connectors[1] as unknown as OidcConnectorConfig;
}

describe('provider presets', () => {
  it('has a folder for each supported IdP, each with a connector.yaml and a README.md', () => {
    const folders = readdirSync(PROVIDERS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.sort()).toEqual([...PRESET_NAMES, ...LDAP_PRESET_NAMES, ...SAML_PRESET_NAMES].sort());
    for (const name of PRESET_NAMES) {
      expect(existsSync(presetPath(name)), `${name}/connector.yaml`).toBe(true);
      expect(readFileSync(presetPath(name, 'README.md'), 'utf8').length, `${name}/README.md`).toBeGreaterThan(1_000);
    }
  });

  it.each(PRESET_NAMES)('%s passes the config file validation as pasted', (name) => {
    const connector = validated(name);
    expect(connector.type).toBe('oidc');
    expect(connector.scopes).toContain('openid');
    expect(connector.issuer).toMatch(/^https:\/\//);
    expect(connector.allowInsecureHttp).toBe(false);
  });

  it.each(PRESET_NAMES)('%s keeps its secrets in ${ENV} references and links Kayako accounts only on trusted emails', (name) => {
    const text = readPreset(name);
    for (const line of text.split('\n')) {
      if (/^\s*#/.test(line)) continue;
      const secret = /^\s*(clientSecret|token|privateKey|password):\s*(\S+)/.exec(line);
      if (secret) expect(secret[2], line).toMatch(/^\$\{[A-Z0-9_]+\}$/);
    }
    const connector = validated(name);
    const trusted = connector.claims.emails.every((source) => source.verifiedBy !== undefined || name === 'adfs');
    expect(trusted, 'every email source names the claim that vouches for it (AD FS: AD mail, admin-set)').toBe(true);
  });

  it('is one list item indented as the README connectors are, so it pastes under `connectors:` as it is', () => {
    for (const name of PRESET_NAMES) {
      const firstKey = readPreset(name).split('\n').find((line) => !line.startsWith('#') && line.trim() !== '');
      expect(firstKey, name).toMatch(/^  - id: [a-z0-9-]+$/);
    }
  });

  it('gives the connectors the ids the README realm example routes to', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const routed = [...readme.matchAll(/^\s+- use: ([\w-]+)/gm)].map((m) => m[1]);
    expect(routed).toContain(presetItem(readPreset('keycloak'))['id']);
    expect(routed).toContain(presetItem(readPreset('entra-id'))['id']);
  });

  it('selects the IdP-specific error table in every preset but the generic one', () => {
    const dialects = Object.fromEntries(PRESET_NAMES.map((name) => [name, validated(name).dialect]));
    expect(dialects).toEqual({ keycloak: 'keycloak', 'entra-id': 'entra', okta: 'okta', auth0: 'auth0', adfs: 'adfs', 'generic-oidc': 'generic' });
  });

  it('Entra: tenant-specific issuer, a Graph token for the overage lookup, emails only with xms_edov', () => {
    const entra = validated('entra-id');
    expect(entra.issuer).toMatch(/^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/);
    expect(entra.issuer).not.toMatch(/\/(common|consumers|organizations)\//);
    expect(entra.groups).toMatchObject({ source: 'graph', graph: { baseUrl: 'https://graph.microsoft.com/v1.0', groupNames: 'id' } });
    expect(entra.scopes).toContain('User.Read');
    expect(entra.claims.emails).toEqual([{ claim: 'email', verifiedBy: 'xms_edov' }]);
  });

  it('Auth0: the password-realm grant with a realm, and the end-user address forwarded', () => {
    const auth0 = validated('auth0');
    expect(auth0.grantType).toBe('http://auth0.com/oauth/grant-type/password-realm');
    expect(auth0.tokenParams).toEqual({ realm: 'Username-Password-Authentication' });
    expect(auth0.forwardEndUserIpHeader).toBe('auth0-forwarded-for');
  });

  it('Okta: the groups API behind a truncated or missing claim, authenticated as a service app', () => {
    const okta = validated('okta');
    expect(okta.groups).toMatchObject({ source: 'okta', okta: { claimLimit: 100, auth: { type: 'oauth', scopes: ['okta.users.read'] } } });
  });

  it('rejects a preset edited into something unsafe, naming the line', () => {
    // The Entra preset with a scope of another API: Graph would refuse the login's token, so the config does.
    const { text, env } = configWith('entra-id');
    const broken = text.replace('email, User.Read]', 'email, api://kayako/access]');
    expect(broken).not.toBe(text);
    expect(() => validateConfig(parseYamlSource(broken, 'entra.yaml'), env)).toThrow(ConfigFileError);
    try {
      validateConfig(parseYamlSource(broken, 'entra.yaml'), env);
    } catch (err) {
      expect((err as Error).message).toMatch(/entra\.yaml:\d+:\d+ connectors\[1\]\.scopes: .*Graph scope/);
    }
  });
});
