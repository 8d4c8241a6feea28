import type { z } from 'zod';
import type { PasswordConnector } from '../login/password-connector.js';
import type { GroupCacheOptions } from '../groups/cached-group-resolver.js';
import type { GroupResolver } from '../groups/group-resolver.js';
import { localConnectorSchema } from './local/local-connector.js';
import { oidcConnectorSchema } from './oidc/oidc-config.js';
import { LDAP_ENV_ONLY_FIELDS, ldapConnectorSchema } from './ldap/ldap-config.js';
import { samlEcpConnectorSchema } from './saml/saml-config.js';

/** What a connector factory may be given besides its own config section. */
export interface ConnectorDeps {
  /** Replaces the group resolver a connector's config describes (tests, custom sources). */
  groupResolver?: GroupResolver;
  /** The bridge's shared cache for group lookups that go to a directory API (Graph, Okta). */
  groupCache?: GroupCacheOptions;
}

type ConnectorFactory<C> = (config: C, deps: ConnectorDeps) => PasswordConnector;

/**
 * A connector type: its config schema, loaded with the registry (config checks and the JSON Schema need every
 * type's), and its implementation, imported only when a config uses the type — a bridge without SAML or LDAP
 * connectors never loads node-saml, xmldom, xml-crypto or ldapts, which keeps its memory and start-up smaller.
 */
interface ConnectorType<S extends z.ZodType> {
  schema: S;
  load(): Promise<ConnectorFactory<z.output<S>>>;
  /** Fields whose value must be a `${ENV}` reference in the file (a secret never written into it). */
  envOnly?: ReadonlyArray<readonly string[]>;
}

function connectorType<S extends z.ZodType>(entry: ConnectorType<S>): ConnectorType<z.ZodType> {
  return entry as unknown as ConnectorType<z.ZodType>;
}

/** Keyed by the `type` string in the config file; a new IdP kind is one folder plus one line here. */
export const CONNECTOR_TYPES: Record<string, ConnectorType<z.ZodType>> = {
  local: connectorType({
    schema: localConnectorSchema,
    load: async () => {
      const { createLocalConnector } = await import('./local/local-connector.js');
      return (config) => createLocalConnector(config);
    },
  }),
  oidc: connectorType({
    schema: oidcConnectorSchema,
    load: async () => {
      const { createOidcConnector } = await import('./oidc/oidc-connector.js');
      return (config, deps) => createOidcConnector(config, deps);
    },
  }),
  ldap: connectorType({
    schema: ldapConnectorSchema,
    load: async () => {
      const { createLdapConnector } = await import('./ldap/ldap-connector.js');
      return (config, deps) => createLdapConnector(config, deps);
    },
    envOnly: LDAP_ENV_ONLY_FIELDS,
  }),
  'saml-ecp': connectorType({
    schema: samlEcpConnectorSchema,
    load: async () => {
      const { createSamlEcpConnector } = await import('./saml/saml-ecp-connector.js');
      return (config) => createSamlEcpConnector(config);
    },
  }),
};

/** A validated connector section: its `id` and `type`, the rest owned by that type's schema. */
export interface ConnectorConfig {
  id: string;
  type: string;
  [key: string]: unknown;
}

/** Builds a validated connector section, importing its type's implementation on first use. */
export async function createConnector(config: ConnectorConfig, deps: ConnectorDeps): Promise<PasswordConnector> {
  const type = CONNECTOR_TYPES[config.type];
  if (!type) throw new Error(`unknown connector type "${config.type}"`);
  const create = await type.load();
  return create(config, deps);
}
