import { dirname, resolve } from 'node:path';
import { CONNECTOR_TYPES, type ConnectorConfig } from '../connectors/registry.js';
import { ConfigFileError, formatFieldPath, inFileOrder, type FileIssue } from './file-errors.js';
import { closest, valueAt, wordIssues, type SchemaIssue } from './issue-wording.js';
import { substituteEnv, type MissingVariable } from './env.js';
import { configSchema, type BridgeConfigFile, type RealmConfig } from './schema.js';
import { readYamlSource, type YamlSource } from './yaml-file.js';
import { readCaFile } from '../login/upstream-agent.js';

export interface BridgeConfig extends Omit<BridgeConfigFile, 'connectors' | 'realms'> {
  /** Absolute path of the file it came from (rules paths are resolved against its folder). */
  file: string;
  connectors: ConnectorConfig[];
  realms: Array<RealmConfig & { rulesPath: string }>;
}

/**
 * Environment variables that override a value of the file, for platforms that configure by env (Helm, systemd).
 * Each is documented in .env.example and the README.
 */
const ENV_OVERRIDES: ReadonlyArray<{ name: string; path: string[] }> = [
  { name: 'LOGINSHARE_HOST', path: ['server', 'host'] },
  { name: 'LOGINSHARE_PORT', path: ['server', 'port'] },
  { name: 'LOGINSHARE_OPS_HOST', path: ['ops', 'host'] },
  { name: 'LOGINSHARE_OPS_PORT', path: ['ops', 'port'] },
  { name: 'LOGINSHARE_OPS_ADMIN_TOKEN', path: ['ops', 'adminToken'] },
  { name: 'LOGINSHARE_LOG_LEVEL', path: ['log', 'level'] },
  { name: 'LOGINSHARE_AUDIT_LOG', path: ['log', 'audit'] },
  { name: 'LOGINSHARE_REDIS_URL', path: ['cache', 'redis', 'url'] },
  { name: 'LOGINSHARE_REDIS_PASSWORD', path: ['cache', 'redis', 'password'] },
];

export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<BridgeConfig> {
  const file = resolve(path);
  const source = await readYamlSource(file);
  return validateConfig(source, env);
}

export function validateConfig(source: YamlSource, env: NodeJS.ProcessEnv): BridgeConfig {
  const issueAt = (path: PropertyKey[], message: string): FileIssue => ({
    file: source.file,
    ...source.locate(path),
    field: formatFieldPath(path),
    message,
  });

  const missing: MissingVariable[] = [];
  const data = substituteEnv(source.data ?? {}, env, missing);
  if (missing.length > 0) {
    throw new ConfigFileError(missing.map((m) => issueAt(m.path, `environment variable ${m.name} is ${m.empty ? 'empty' : 'not set'}`)));
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigFileError([issueAt([], 'the config file must be a YAML mapping (server:, connectors:, realms: …)')]);
  }
  const overridden = applyEnvOverrides(data as Record<string, unknown>, env);
  // A value that came from an environment variable is that variable's fault, not the file's: the issue names
  // the variable, and never repeats its value (it may be a password).
  const worded = (issue: SchemaIssue, validated: unknown, schema: Parameters<typeof wordIssues>[2], prefix: PropertyKey[] = []): FileIssue[] => {
    const fromEnv = overridden.find((o) => o.path.every((key, i) => [...prefix, ...issue.path][i] === key));
    if (fromEnv) {
      return wordIssues(issue, validated, schema, () => 'the value given').map((u) => ({
        file: `environment variable ${fromEnv.name}`,
        line: 0,
        column: 0,
        field: '',
        message: `(overrides ${fromEnv.path.join('.')} of ${source.file}) ${u.message}`,
      }));
    }
    return wordIssues(issue, validated, schema).map((u) => issueAt([...prefix, ...u.path], u.message));
  };

  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    // Each connector's own section is checked too, so the person sees every problem of the file at once.
    const found = parsed.error.issues.flatMap((i) => worded({ ...i, path: i.path as PropertyKey[] }, data, configSchema));
    const rawConnectors = (data as { connectors?: unknown }).connectors;
    if (Array.isArray(rawConnectors)) {
      rawConnectors.forEach((raw: unknown, index) => {
        const type = raw !== null && typeof raw === 'object' ? CONNECTOR_TYPES[String((raw as { type?: unknown }).type)] : undefined;
        const result = type?.schema.safeParse(raw);
        if (type && result && !result.success) {
          for (const i of result.error.issues) found.push(...worded({ ...i, path: i.path as PropertyKey[] }, raw, type.schema, ['connectors', index]));
        }
      });
    }
    const unique = new Map(found.map((issue) => [`${issue.file}:${issue.line}:${issue.column} ${issue.field}`, issue]));
    throw new ConfigFileError(inFileOrder([...unique.values()]));
  }
  const config = parsed.data;
  const issues: FileIssue[] = [];

  const connectors: ConnectorConfig[] = [];
  const connectorIds = new Set<string>();
  config.connectors.forEach((raw, index) => {
    const type = CONNECTOR_TYPES[raw.type];
    if (connectorIds.has(raw.id)) issues.push(issueAt(['connectors', index, 'id'], `duplicate connector id "${raw.id}"`));
    connectorIds.add(raw.id);
    if (!type) {
      const known = Object.keys(CONNECTOR_TYPES);
      const near = closest(raw.type, known);
      issues.push(issueAt(['connectors', index, 'type'], `unknown connector type "${raw.type}"${near ? ` — did you mean "${near}"?` : ''} (known: ${known.join(', ')})`));
      return;
    }
    const result = type.schema.safeParse(raw);
    if (!result.success) {
      for (const i of result.error.issues) issues.push(...worded({ ...i, path: i.path as PropertyKey[] }, raw, type.schema, ['connectors', index]));
      return;
    }
    for (const field of type.envOnly ?? []) {
      const written = valueAt((source.data as { connectors?: unknown[] } | null)?.connectors?.[index], field);
      if (written !== undefined && !(typeof written === 'string' && /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(written.trim()))) {
        issues.push(issueAt(['connectors', index, ...field], 'a secret: give it as an environment variable reference such as ${LDAP_BIND_PASSWORD}, not in the file'));
      }
    }
    const connector = result.data as ConnectorConfig & { caFile?: string };
    // A CA bundle is named relative to the config file, like rules files, and checked now so `check` reports it.
    if (typeof connector.caFile === 'string') {
      connector.caFile = resolve(dirname(source.file), connector.caFile);
      try {
        readCaFile(connector.caFile);
      } catch (err) {
        issues.push(issueAt(['connectors', index, 'caFile'], (err as Error).message));
      }
    }
    connectors.push(connector);
  });

  const realmIds = new Set<string>();
  config.realms.forEach((realm, index) => {
    if (realmIds.has(realm.id)) issues.push(issueAt(['realms', index, 'id'], `duplicate realm id "${realm.id}"`));
    realmIds.add(realm.id);
    realm.connectors.forEach((route, routeIndex) => {
      if (!connectorIds.has(route.use)) {
        issues.push(issueAt(['realms', index, 'connectors', routeIndex, 'use'], `no connector with id "${route.use}"`));
      }
    });
    const method = realm.signin?.method;
    if (method?.type === 'oidc' && !config.connectors.some((c) => c.id === method.connector && c.type === method.type)) {
      issues.push(issueAt(['realms', index, 'signin', 'method', 'connector'], `no ${method.type} connector with id "${method.connector}"`));
    }
    if (realm.signin?.appPasswords && !config.cache.redis) {
      issues.push(issueAt(['realms', index, 'signin', 'appPasswords'], 'app passwords need cache.redis: in memory they would be lost on restart and unknown to other replicas'));
    }
    if (realm.signin?.appPasswords && !realm.audiences.staff) {
      issues.push(issueAt(['realms', index, 'signin', 'appPasswords'], 'app passwords are for staff logins, and this realm does not serve staff (audiences.staff)'));
    }
    if (!realm.audiences.user && !realm.audiences.staff) {
      issues.push(issueAt(['realms', index, 'audiences'], 'a realm must serve users, staff, or both'));
    }
  });
  if (issues.length > 0) throw new ConfigFileError(inFileOrder(issues));

  return {
    ...config,
    file: source.file,
    connectors,
    realms: config.realms.map((realm) => ({ ...realm, rulesPath: resolve(dirname(source.file), realm.rules) })),
  };
}

/** The overrides applied, so an invalid value is reported as the variable's. */
function applyEnvOverrides(data: Record<string, unknown>, env: NodeJS.ProcessEnv): Array<{ name: string; path: string[] }> {
  const applied: Array<{ name: string; path: string[] }> = [];
  for (const { name, path } of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = data;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
    applied.push({ name, path });
  }
  return applied;
}
