import { dirname, resolve } from 'node:path';
import { CONNECTOR_TYPES, type ConnectorConfig } from '../connectors/registry.js';
import { ConfigFileError, formatFieldPath, splitUnknownKeys, type FileIssue } from './file-errors.js';
import { substituteEnv, type MissingVariable } from './env.js';
import { configSchema, type BridgeConfigFile, type RealmConfig } from './schema.js';
import { readYamlSource, type YamlSource } from './yaml-file.js';

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
    throw new ConfigFileError(missing.map((m) => issueAt(m.path, `environment variable ${m.name} is not set`)));
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigFileError([issueAt([], 'the config file must be a YAML mapping (server:, connectors:, realms: …)')]);
  }
  applyEnvOverrides(data as Record<string, unknown>, env);

  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigFileError(
      parsed.error.issues.flatMap((i) => splitUnknownKeys({ ...i, path: i.path as PropertyKey[] }).map((u) => issueAt(u.path, u.message))),
    );
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
      const known = Object.keys(CONNECTOR_TYPES).join(', ');
      issues.push(issueAt(['connectors', index, 'type'], `unknown connector type "${raw.type}" (known: ${known})`));
      return;
    }
    const result = type.schema.safeParse(raw);
    if (!result.success) {
      for (const i of result.error.issues) {
        for (const u of splitUnknownKeys({ ...i, path: i.path as PropertyKey[] })) issues.push(issueAt(['connectors', index, ...u.path], u.message));
      }
      return;
    }
    connectors.push(result.data as ConnectorConfig);
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
    if (realm.signin && !config.connectors.some((c) => c.id === realm.signin!.method.connector && c.type === realm.signin!.method.type)) {
      issues.push(issueAt(['realms', index, 'signin', 'method', 'connector'], `no ${realm.signin.method.type} connector with id "${realm.signin.method.connector}"`));
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
  if (issues.length > 0) throw new ConfigFileError(issues);

  return {
    ...config,
    file: source.file,
    connectors,
    realms: config.realms.map((realm) => ({ ...realm, rulesPath: resolve(dirname(source.file), realm.rules) })),
  };
}

function applyEnvOverrides(data: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
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
  }
}
