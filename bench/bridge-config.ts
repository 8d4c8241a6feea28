import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import { REALM_ID, REALM_SECRET, CLIENT_ID, CLIENT_SECRET } from './fixtures.js';

/** What the orchestrator tells target C (and the start-up measurement) about its surroundings. */
export interface BridgeTargetOptions {
  /** A scratch directory for the config, rules, audit and log files. */
  dir: string;
  issuer: string;
  /** Base URL of the IdP's Graph-like API (used when `groups` is `graph`). */
  graphBase: string;
  /** Where group memberships come from: the ID token, or a Graph lookup (through the group cache). */
  groups: 'token' | 'graph';
  redisUrl?: string;
  /** An LDAP realm instead of the OIDC one: the connector searches and binds against this directory. */
  ldap?: { url: string; bindDn: string; bindPassword: string; base: string };
  /** When given, a second realm (`SAML_REALM_ID`) logs in through a saml-ecp connector against this IdP. */
  samlEcp?: { url: string; entityId: string; certificate: string; spEntityId: string; acsUrl: string };
  port?: number;
  opsPort?: number;
}

/**
 * A production-shaped config: caller guard with an allowlist, break-glass local account consulted first, the
 * OIDC connector with explicit endpoints (no discovery at start), audit log to a file, a rules file. Rate
 * limits are raised so that the load (a few hundred users hammering) measures logins, not refusals; the
 * limiter itself still runs on every login.
 */
export function bridgeConfigYaml(options: BridgeTargetOptions): string {
  const redis = options.redisUrl ? `  redis:\n    url: ${JSON.stringify(options.redisUrl)}\n    keyPrefix: "bench:"\n` : '';
  return `# Written by bench/ for one benchmark run.
server:
  host: 127.0.0.1
  port: ${options.port ?? 0}
  loginTimeoutMs: 20000
ops:
  host: 127.0.0.1
  port: ${options.opsPort ?? 0}
log:
  level: info
  audit: ${JSON.stringify(`${options.dir}/audit.log`)}
cache:
${redis}  groupsTtlSeconds: 300
security:
  lockout: { maxFailures: 5, windowSeconds: 900, lockSeconds: 900 }
  rateLimit: { perIpPerMinute: 1000000000, perUsernamePerMinute: 1000000000 }
connectors:
  - id: breakglass
    type: local
    users:
      - username: breakglass-admin
        passwordHash: "$scrypt$ln=15,r=8,p=1$MuBdSQDb9MntKszQEI/Duw$42Skgg23X5FuuHDwjdLw+JQmTnO5ULyFdvTbug5V0Wo"
        email: admin@example.com
        fullName: Break Glass
        groups: [Helpdesk-Admins]
  - id: corp
    type: oidc
    issuer: ${options.issuer}
    endpoints:
      token: ${options.issuer}/token
      jwks: ${options.issuer}/jwks
    clientId: ${CLIENT_ID}
    clientSecret: ${CLIENT_SECRET}
    timeoutMs: 10000
    allowInsecureHttp: true
${options.groups === 'graph' ? graphGroupsYaml(options.graphBase) : ''}${options.ldap ? ldapConnectorYaml(options.ldap) : ''}${options.samlEcp ? samlConnectorYaml(options.samlEcp) : ''}realms:
  - id: ${REALM_ID}
    secret: ${REALM_SECRET}
    allowFrom: [127.0.0.0/8]
    rules: rules.yaml
    connectors:
      - use: breakglass
      - use: ${options.ldap ? 'corp-ldap' : 'corp'}
${options.samlEcp ? SAML_REALM_YAML : ''}`;
}

/**
 * The LDAP connector as an operator would set it up on OpenLDAP: search-then-bind with the service account, memberOf
 * with nesting followed. Plain ldap:// is fine here: the directory is on loopback.
 */
function ldapConnectorYaml(ldap: NonNullable<BridgeTargetOptions['ldap']>): string {
  return `  - id: corp-ldap
    type: ldap
    directory: openldap
    urls: [${ldap.url}]
    serviceAccount: { dn: ${JSON.stringify(ldap.bindDn)}, password: "\${BENCH_LDAP_PASSWORD}" }
    userSearch: { base: ${JSON.stringify(ldap.base)} }
    groups: { source: memberOf, nested: true }
`;
}

export const SAML_REALM_ID = 'bench-saml';
/** The SP the bench SAML IdP (bench/saml-idp.ts) issues its assertions for. */
export const SAML_SP_ENTITY_ID = 'https://bench.example.test/sp';
export const SAML_ACS_URL = 'https://bench.example.test/saml/ecp';

/** The SAML realm, appended under `realms:`: the same rules, the saml-ecp connector alone. */
const SAML_REALM_YAML = `  - id: ${SAML_REALM_ID}
    secret: ${REALM_SECRET}
    allowFrom: [127.0.0.0/8]
    rules: rules.yaml
    connectors:
      - use: campus
`;

/** The connector section of the SAML realm, inserted under the top-level `connectors:`. */
export function samlConnectorYaml(saml: NonNullable<BridgeTargetOptions['samlEcp']>): string {
  return `  - id: campus
    type: saml-ecp
    ecpUrl: ${saml.url}
    idpEntityId: ${saml.entityId}
    idpCertificates:
      - ${JSON.stringify(saml.certificate)}
    spEntityId: ${saml.spEntityId}
    assertionConsumerServiceUrl: ${saml.acsUrl}
    attributes:
      emails: [mail]
      groups: [isMemberOf]
    timeoutMs: 10000
    allowInsecureHttp: true
`;
}

/**
 * True when this bridge accepts the Graph group-lookup config (the resolver exists and the schema knows the
 * section); otherwise why not — so the benchmark can say what it could not measure.
 */
export async function graphLookupsConfigurable(options: BridgeTargetOptions): Promise<true | string> {
  try {
    const file = join(options.dir, 'config-graph-check.yaml');
    await writeFile(join(options.dir, 'rules.yaml'), BENCH_RULES_YAML);
    await writeFile(file, bridgeConfigYaml({ ...options, groups: 'graph' }));
    await loadConfig(file, {});
    return true;
  } catch (err) {
    return `SKIPPED: this bridge does not accept Graph group lookups: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Groups through the Graph-like API of the bench IdP, by display name (what rules are written with): every
 * login needs a lookup, which the bridge's group cache answers after the first.
 */
function graphGroupsYaml(graphBase: string): string {
  const origin = new URL(graphBase).origin;
  return `    scopes: [openid, profile, email, "${origin}/GroupMember.Read.All"]
    groups:
      source: graph
      graph:
        baseUrl: ${graphBase}
        groupNames: displayName
        timeoutMs: 10000
`;
}

export const BENCH_RULES_YAML = `# Written by bench/: a rules file with the usual shape (a denial, a few group rules, defaults).
defaults:
  user: { usergroup: Registered, organizationtype: restricted }
  staff: { team: Support }
unmatched: { user: default, staff: deny }
rules:
  - name: contractors-denied
    when: { groups: { any: [Contractors] } }
    deny: "Contractors use the partner portal"
  - name: admins
    audience: staff
    when: { groups: { any: [Helpdesk-Admins] } }
    set: { team: Administrators }
  - name: partners
    audience: user
    when: { groups: { any: [Partners] } }
    set: { usergroup: Partners, organization: "{{ claims.name }}", organizationtype: shared }
  - name: enterprise-customers
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: "Enterprise customers", organizationtype: shared }
`;
