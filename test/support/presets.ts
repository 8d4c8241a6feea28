import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { substituteEnv, type MissingVariable } from '../../src/config/env.js';
import { oidcConnectorSchema, type OidcConnectorConfig } from '../../src/connectors/oidc/oidc-config.js';

/**
 * The provider presets (providers/<idp>/connector.yaml) as tests use them: the operator's copy, with the
 * `${ENV}` secrets supplied and the few values that point at a loopback test server overridden.
 */
export const PROVIDERS_DIR = fileURLToPath(new URL('../../providers/', import.meta.url));
export const PRESET_NAMES = ['keycloak', 'entra-id', 'okta', 'auth0', 'adfs', 'generic-oidc'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
/** The `type: ldap` presets (test/providers/ldap-presets.test.ts). */
export const LDAP_PRESET_NAMES = ['active-directory', 'openldap'] as const;
export type LdapPresetName = (typeof LDAP_PRESET_NAMES)[number];

export function presetPath(name: PresetName | LdapPresetName, file: 'connector.yaml' | 'README.md' = 'connector.yaml'): string {
  return `${PROVIDERS_DIR}${name}/${file}`;
}

export function readPreset(name: PresetName | LdapPresetName): string {
  return readFileSync(presetPath(name), 'utf8');
}

/** The preset's one connector: each file is a list item, pasted as it is under `connectors:`. */
export function presetItem(text: string): Record<string, unknown> {
  const data = parse(text) as unknown;
  if (!Array.isArray(data) || data.length !== 1) throw new Error('a preset is one list item (- id: …) to paste under connectors:');
  return data[0] as Record<string, unknown>;
}

/** Every `${NAME}` the text refers to. */
export function referencedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)].map((m) => m[1]!))];
}

/** A value for every variable the preset refers to (what the operator would export). */
export function presetEnv(text: string, values: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(referencedVariables(text).map((name) => [name, values[name] ?? `test-value-of-${name}`]));
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Objects merge key by key; anything else (arrays included) is replaced. */
export function deepMerge(base: Plain, overrides: Plain): Plain {
  const merged: Plain = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] = isPlain(current) && isPlain(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/** The preset as a validated connector config, with env values and test overrides applied. */
export function presetConnector(name: PresetName, overrides: Plain = {}, env: Record<string, string> = {}): OidcConnectorConfig {
  const text = readPreset(name);
  const missing: MissingVariable[] = [];
  const data = substituteEnv(presetItem(text), presetEnv(text, env), missing) as Plain;
  if (missing.length > 0) throw new Error(`preset ${name}: unset ${missing.map((m) => m.name).join(', ')}`);
  return oidcConnectorSchema.parse(deepMerge(data, overrides));
}
