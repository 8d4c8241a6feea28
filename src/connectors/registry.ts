import type { z } from 'zod';
import type { PasswordConnector } from '../login/password-connector.js';
import type { GroupCacheOptions } from '../groups/cached-group-resolver.js';
import type { GroupResolver } from '../groups/group-resolver.js';
import { createLocalConnector, localConnectorSchema } from './local/local-connector.js';
import { createOidcConnector } from './oidc/oidc-connector.js';
import { oidcConnectorSchema } from './oidc/oidc-config.js';
import { createLdapConnector } from './ldap/ldap-connector.js';
import { LDAP_ENV_ONLY_FIELDS, ldapConnectorSchema } from './ldap/ldap-config.js';
import { createSamlEcpConnector } from './saml/saml-ecp-connector.js';
import { samlEcpConnectorSchema } from './saml/saml-config.js';

/** What a connector factory may be given besides its own config section. */
export interface ConnectorDeps {
  /** Replaces the group resolver a connector's config describes (tests, custom sources). */
  groupResolver?: GroupResolver;
  /** The bridge's shared cache for group lookups that go to a directory API (Graph, Okta). */
  groupCache?: GroupCacheOptions;
}

interface ConnectorType<S extends z.ZodType> {
  schema: S;
  create(config: z.output<S>, deps: ConnectorDeps): PasswordConnector;
  /** Fields whose value must be a `${ENV}` reference in the file (a secret never written into it). */
  envOnly?: ReadonlyArray<readonly string[]>;
}

function connectorType<S extends z.ZodType>(entry: ConnectorType<S>): ConnectorType<z.ZodType> {
  return entry as unknown as ConnectorType<z.ZodType>;
}

/** Keyed by the `type` string in the config file; a new IdP kind is one folder plus one line here. */
export const CONNECTOR_TYPES: Record<string, ConnectorType<z.ZodType>> = {
  local: connectorType({ schema: localConnectorSchema, create: (config) => createLocalConnector(config) }),
  oidc: connectorType({ schema: oidcConnectorSchema, create: (config, deps) => createOidcConnector(config, deps) }),
  ldap: connectorType({ schema: ldapConnectorSchema, create: (config, deps) => createLdapConnector(config, deps), envOnly: LDAP_ENV_ONLY_FIELDS }),
  'saml-ecp': connectorType({ schema: samlEcpConnectorSchema, create: (config) => createSamlEcpConnector(config) }),
};

/** A validated connector section: its `id` and `type`, the rest owned by that type's schema. */
export interface ConnectorConfig {
  id: string;
  type: string;
  [key: string]: unknown;
}

export function createConnector(config: ConnectorConfig, deps: ConnectorDeps): PasswordConnector {
  const type = CONNECTOR_TYPES[config.type];
  if (!type) throw new Error(`unknown connector type "${config.type}"`);
  return type.create(config, deps);
}
