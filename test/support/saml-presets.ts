import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { substituteEnv, type MissingVariable } from '../../src/config/env.js';
import { samlEcpConnectorSchema, type SamlEcpConnectorConfig } from '../../src/connectors/saml/saml-config.js';
import { PROVIDERS_DIR, deepMerge, presetEnv } from './presets.js';

/** The SAML ECP provider presets (providers/<idp>/connector.yaml), as `presets.ts` gives the OIDC ones. */
export const SAML_PRESET_NAMES = ['keycloak-saml', 'shibboleth'] as const;
export type SamlPresetName = (typeof SAML_PRESET_NAMES)[number];

export function readSamlPreset(name: SamlPresetName): string {
  return readFileSync(`${PROVIDERS_DIR}${name}/connector.yaml`, 'utf8');
}

export function samlPresetConnector(name: SamlPresetName, overrides: Record<string, unknown> = {}, env: Record<string, string> = {}): SamlEcpConnectorConfig {
  const text = readSamlPreset(name);
  const missing: MissingVariable[] = [];
  const data = substituteEnv(parse(text), presetEnv(text, env), missing) as Record<string, unknown>;
  if (missing.length > 0) throw new Error(`preset ${name}: unset ${missing.map((m) => m.name).join(', ')}`);
  return samlEcpConnectorSchema.parse(deepMerge(data, overrides));
}
