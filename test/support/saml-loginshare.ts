import type { Server } from 'node:http';
import { realmSchema } from '../../src/config/schema.js';
import { createSamlEcpConnector } from '../../src/connectors/saml/saml-ecp-connector.js';
import { samlEcpConnectorSchema, type SamlEcpConnectorConfig } from '../../src/connectors/saml/saml-config.js';
import { createCallerGuard } from '../../src/http/caller-guard.js';
import { createLoginShareListener } from '../../src/http/loginshare-app.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { readLoginShareAnswer, type KayakoVerdict } from '../../src/probe/kayako-judge.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { roomyLoginFlow, serveOnLoopback } from './loginshare-listener.js';

/**
 * The bridge's real LoginShare route (Hono app, login flow, rules, XML) in front of one saml-ecp connector, and a
 * Kayako-shaped form POST that reads only the body, as Kayako does.
 */
export const SAML_REALM_SECRET = 's'.repeat(24);

export interface SamlLoginShare {
  connector: PasswordConnector;
  /** The realm's user LoginShare URL, secret included, as configured in Kayako. */
  url: string;
  /** Audit and log lines, parsed. */
  lines: Record<string, unknown>[];
  login(username: string, password: string): Promise<{ verdict: KayakoVerdict; elapsedMs: number }>;
  close(): Promise<void>;
}

export async function samlLoginShare(connectorConfig: Record<string, unknown>, options: { loginTimeoutMs?: number; rules?: string } = {}): Promise<SamlLoginShare> {
  const config: SamlEcpConnectorConfig = samlEcpConnectorSchema.parse({ id: 'saml', type: 'saml-ecp', allowInsecureHttp: true, ...connectorConfig });
  const connector = createSamlEcpConnector(config);
  const realmConfig = realmSchema.parse({ id: 'r', secret: SAML_REALM_SECRET, rules: 'rules.yaml', connectors: [{ use: 'saml' }] });
  const rules = parseRules(options.rules ?? 'rules: []\n', 'rules.yaml');
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(...s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)) } });
  const listener = createLoginShareListener({
    realms: new Map([['r', { realm: createRealm(realmConfig, [{ connector }], () => rules), authorizeCaller: createCallerGuard(realmConfig, []) }]]),
    flow: roomyLoginFlow(options.loginTimeoutMs ?? 10_000),
    bodyLimitBytes: 4_096,
    log,
    audit: log,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const { server, port }: { server: Server; port: number } = await serveOnLoopback(listener);
  const url = `http://127.0.0.1:${port}/loginshare/r/user?key=${SAML_REALM_SECRET}`;
  return {
    connector,
    url,
    lines,
    async login(username, password) {
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password, ipaddress: '192.0.2.7' }).toString(),
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`LoginShare answered HTTP ${response.status}: ${body}`);
      return { verdict: readLoginShareAnswer(body, 'user'), elapsedMs: performance.now() - started };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connector.close?.();
    },
  };
}
