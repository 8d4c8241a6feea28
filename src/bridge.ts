import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { KeyValueCache } from './cache/cache.js';
import { createCache } from './cache/index.js';
import type { PasswordConnector } from './login/password-connector.js';
import { within } from './login/deadline.js';
import { createConnector } from './connectors/registry.js';
import type { GroupCacheOptions } from './groups/cached-group-resolver.js';
import { withCircuitBreaker } from './connectors/circuit-breaker.js';
import type { BridgeConfig } from './config/load-config.js';
import { callerAddressResolver, createCallerGuard } from './http/caller-guard.js';
import { createLoginShareListener, type GuardedRealm } from './http/loginshare-app.js';
import { answerUnreadableRequestsWithXml } from './http/unreadable-requests.js';
import { createOpsApp } from './http/ops-app.js';
import { closeGracefully } from './http/graceful-close.js';
import { createReadinessMonitor, type ReadinessCheck, type ReadinessMonitor } from './observability/readiness.js';
import { createRealmAdminApp } from './http/realm-admin.js';
import { createBridgeIdentityLog, recordIdentity } from './identity-log/bridge-identity-log.js';
import { createAuditLogger, createLogger, type Logger } from './observability/logger.js';
import { BUILD_INFO } from './observability/build-info.js';
import { createMetrics, type BridgeMetrics } from './observability/metrics.js';
import { createRealm, type ConnectorRoute } from './realm/realm.js';
import { checkRuleReferences, watchRulesFile, type RuleSet, type RulesWatcher } from './rules/index.js';
import { ConfigFileError } from './config/file-errors.js';
import { createLoginThrottle } from './security/login-throttle.js';
import { createLockoutAdminApp } from './http/lockout-admin.js';
import { errorFields } from './observability/error-fields.js';
import { createSignInCodeStore, supportsTake } from './signin/code-store.js';
import { createPendingSignIns } from './signin/pending-sign-in.js';
import { createSignInCodeConnector } from './connectors/signin-code/signin-code-connector.js';
import { createBrowserSignInMethod } from './connectors/browser-sign-in-methods.js';
import { createSignInApp, type SignInRealm } from './http/signin-app.js';
import { createAppPasswordStore } from './signin/app-passwords.js';
import { createPageSessions } from './signin/page-sessions.js';
import { createAppPasswordConnector } from './connectors/signin-code/app-password-connector.js';

/**
 * Assembles the bridge from a validated config: cache → connectors → realms (with hot-reloaded rules) →
 * the LoginShare app and the ops app. `listen` is separate so tests can use the apps without sockets.
 */
export interface Bridge {
  /** The LoginShare routes (a Hono app) as @hono/node-server's listener for a `node:http` server. */
  loginShareListener: RequestListener;
  opsApp: ReturnType<typeof createOpsApp>;
  readiness: ReadinessMonitor;
  metrics: BridgeMetrics;
  log: Logger;
  cache: KeyValueCache;
  connectors: ReadonlyMap<string, PasswordConnector>;
  listen(): Promise<{ port: number; opsPort: number | undefined }>;
  close(): Promise<void>;
}

export interface BridgeOptions {
  log?: Logger;
  audit?: Logger;
  /** Collect Node process metrics (off in tests that build many bridges). */
  defaultMetrics?: boolean;
}

export async function createBridge(config: BridgeConfig, options: BridgeOptions = {}): Promise<Bridge> {
  const log = options.log ?? createLogger({ level: config.log.level });
  const audit = options.audit ?? createAuditLogger(config.log.audit, config.log.level, log);
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });

  let sharedCacheFailure: Error | undefined;
  // Set once the checks exist (below); the cache reports its changes before that only at startup.
  let readinessChanged = () => {};
  const cache = await createCache(
    {
      ...(config.cache.redis ? { redis: config.cache.redis } : {}),
      maxEntries: config.cache.maxEntries,
    },
    {
      onDegraded(err) {
        sharedCacheFailure = err;
        metrics.cacheDegraded.inc({ store: 'redis' });
        log.warn({ err: errorFields(err) }, 'shared cache unavailable: using this replica\'s memory (logins continue)');
        readinessChanged();
      },
      onRecovered() {
        sharedCacheFailure = undefined;
        readinessChanged();
        log.info('shared cache answers again');
      },
    },
  );

  // Each connector behind its circuit breaker, which also tells readiness whether the IdP answers logins now.
  const connectors = new Map<string, ReturnType<typeof withCircuitBreaker>>();
  const breakerStates = { closed: 0, half_open: 1, open: 2 } as const;
  // Group lookups that call a directory API (Graph, Okta) share the cache; hits and misses become metrics.
  const groupCache: GroupCacheOptions = {
    cache,
    ttlSeconds: config.cache.groupsTtlSeconds,
    onResult: (result) => metrics.groupCache.inc({ result }),
  };
  for (const section of config.connectors) {
    const connector = await createConnector(section, { groupCache });
    metrics.circuitState.set({ connector: connector.id }, 0);
    const breaker = withCircuitBreaker(connector, {
        failureThreshold: config.security.circuitBreaker.failureThreshold,
        openMs: config.security.circuitBreaker.openSeconds * 1000,
        probeIntervalMs: config.security.circuitBreaker.probeIntervalMs,
        probeTimeoutMs: config.security.circuitBreaker.probeIntervalMs,
        onStateChange(connectorId, state) {
          metrics.circuitState.set({ connector: connectorId }, breakerStates[state]);
          log.warn({ connector: connectorId, state }, state === 'open' ? 'IdP unreachable: circuit open, failing fast' : `circuit ${state}`);
          readinessChanged();
        },
      });
    connectors.set(section.id, breaker);
  }

  // A rule naming a connector or realm the config does not define would silently never match.
  const known = { connectors: config.connectors.map((c) => c.id), realms: config.realms.map((r) => r.id) };
  const unknownReferences = (rules: RuleSet) => checkRuleReferences(rules, known);

  // Several realms may share one rules file: its reloads and version are reported for each of them.
  const realmsByRulesFile = new Map<string, string[]>();
  for (const realm of config.realms) realmsByRulesFile.set(realm.rulesPath, [...(realmsByRulesFile.get(realm.rulesPath) ?? []), realm.id]);
  const shownRulesVersion = new Map<string, string>();
  const reportRules = (path: string, result: 'ok' | 'failed', version?: string) => {
    for (const realm of realmsByRulesFile.get(path) ?? []) {
      metrics.rulesReloads.inc({ realm, result });
      if (version === undefined) continue;
      const previous = shownRulesVersion.get(realm);
      if (previous !== undefined) metrics.rulesVersion.remove({ realm, version: previous });
      metrics.rulesVersion.set({ realm, version }, 1);
      shownRulesVersion.set(realm, version);
    }
  };

  // One-time sign-in codes live in the shared cache (Redis when configured), so any replica redeems them.
  if (!supportsTake(cache)) throw new Error(`the ${cache.kind} cache cannot take a value in one step, which single-use sign-in codes need`);
  const takingCache = cache;
  const signInCodes = createSignInCodeStore(takingCache);
  const signInCodeConnector = createSignInCodeConnector(signInCodes);
  const appPasswords = createAppPasswordStore(takingCache);
  const appPasswordConnector = createAppPasswordConnector(appPasswords);
  const signInRealms = new Map<string, SignInRealm>();

  const watchers = new Map<string, RulesWatcher>();
  const realms = new Map<string, GuardedRealm>();
  try {
    for (const realmConfig of config.realms) {
      const path = realmConfig.rulesPath;
      let watcher = watchers.get(path);
      if (!watcher) {
        watcher = await watchRulesFile(path, {
          onReload(rules) {
            const issues = unknownReferences(rules);
            if (issues.length > 0) log.warn({ problems: new ConfigFileError(issues).message }, 'reloaded rules name unknown connectors or realms');
            reportRules(path, 'ok', rules.version);
            log.info({ file: rules.file, version: rules.version }, 'rules reloaded');
          },
          onError(err) {
            reportRules(path, 'failed');
            log.error({ err: errorFields(err) }, 'rules file rejected: keeping the last good rules');
          },
        });
        watchers.set(path, watcher);
        const issues = unknownReferences(watcher.current());
        if (issues.length > 0) throw new ConfigFileError(issues);
        for (const realm of realmsByRulesFile.get(path) ?? []) {
          metrics.rulesVersion.set({ realm, version: watcher.current().version }, 1);
          shownRulesVersion.set(realm, watcher.current().version);
        }
      }
      const routes: ConnectorRoute[] = realmConfig.connectors.map((route) => ({
        connector: connectors.get(route.use)!,
        ...(route.domains ? { domains: route.domains.map((d) => d.toLowerCase()) } : {}),
        ...(route.fallback ? { fallback: true } : {}),
      }));
      if (realmConfig.signin) {
        // First, for every username: a sign-in code is decided here and never reaches an IdP.
        routes.unshift({ connector: signInCodeConnector });
        if (realmConfig.signin.appPasswords) routes.splice(1, 0, { connector: appPasswordConnector });
        signInRealms.set(realmConfig.id, {
          realmId: realmConfig.id,
          page: realmConfig.signin,
          audiences: realmConfig.audiences,
          method: await createBrowserSignInMethod(realmConfig.signin.method, config.connectors, { groupCache }),
        });
      }
      const current = watcher;
      realms.set(realmConfig.id, {
        realm: createRealm(realmConfig, routes, () => current.current()),
        authorizeCaller: createCallerGuard(realmConfig, config.server.trustedProxies),
      });
    }
  } catch (err) {
    for (const w of watchers.values()) w.close();
    await Promise.all([...signInRealms.values()].map((r) => r.method.close?.()));
    await cache.close();
    throw err;
  }

  // With Redis the replicas share their counts; without it they are this replica's, in memory.
  const throttle = createLoginThrottle(
    config.cache.redis ? { kind: 'shared', cache } : { kind: 'memory', maxEntries: config.cache.maxEntries },
    config.security,
  );
  const identityLog = config.identityLog.enabled ? createBridgeIdentityLog(config, cache) : undefined;
  // Served on our own `node:http` servers (not `serve()`), so `close()` below closes both the same way.
  const loginShareListener = createLoginShareListener({
    realms,
    bodyLimitBytes: config.server.bodyLimitBytes,
    log,
    audit,
    metrics,
    flow: {
      throttle,
      loginTimeoutMs: config.server.loginTimeoutMs,
      onConnectorDone: (connector, outcome, seconds) => metrics.upstreamDuration.observe({ connector, outcome }, seconds),
      ...(identityLog ? { onIdentity: recordIdentity(identityLog, log) } : {}),
    },
    ...(signInRealms.size > 0
      ? {
          pages: createSignInApp({
            realms: signInRealms,
            codes: signInCodes,
            pending: createPendingSignIns(takingCache),
            log,
            audit,
            timeoutMs: config.server.loginTimeoutMs,
            appPasswords: { store: appPasswords, sessions: createPageSessions(takingCache) },
            startLimit: {
              cache: takingCache,
              perAddressPerMinute: config.security.rateLimit.perIpPerMinute,
              addressOf: callerAddressResolver(config.server.trustedProxies),
            },
          }),
        }
      : {}),
  });

  const strict = config.ops.strictReadiness;
  const checkTimeoutMs = config.ops.readinessCheckTimeoutMs;
  const readinessChecks: ReadinessCheck[] = [
    { name: 'rules', critical: true, check: async () => void [...watchers.values()].map((w) => w.current()) },
    ...[...connectors.values()]
      .filter((c) => c.prepare)
      .map((c) => ({
        name: `connector:${c.id}`,
        critical: strict,
        check: async () => {
          await prepareWithin(c, checkTimeoutMs);
          // Discovery is kept once it worked; the breaker knows whether the IdP answers logins now.
          if (c.state() !== 'closed') throw new Error(`IdP not answering logins (circuit ${c.state().replace('_', '-')})`);
        },
      })),
  ];
  if (config.cache.redis) {
    readinessChecks.push({
      name: 'redis',
      critical: strict,
      // A read goes through the fail-open cache, which retries Redis and so notices when it is back.
      check: async () => {
        await cache.get('readiness-probe');
        if (sharedCacheFailure) throw new Error(`Redis unavailable (${sharedCacheFailure.message}); using memory`);
      },
    });
  }
  const readiness = createReadinessMonitor(readinessChecks, { intervalMs: config.ops.readinessIntervalMs, timeoutMs: checkTimeoutMs });
  readinessChanged = () => readiness.refresh();
  const admin = config.ops.adminToken
    ? createLockoutAdminApp({ token: config.ops.adminToken, throttle, realmIds: new Set(realms.keys()), audit })
    : undefined;
  const opsApp = createOpsApp({ registry: metrics.registry, readiness, admin });
  if (config.ops.adminToken) {
    const rulesOf = (realmId: string) => realms.get(realmId)?.realm.rules();
    opsApp.route('/admin/realms', createRealmAdminApp({ token: config.ops.adminToken, rulesOf, identityLog }));
  }

  const servers: Server[] = [];
  return {
    loginShareListener,
    opsApp,
    readiness,
    metrics,
    log,
    cache,
    connectors,
    async listen() {
      const timeouts = { keepAliveTimeoutMs: config.server.keepAliveTimeoutMs, headersTimeoutMs: config.server.headersTimeoutMs };
      const port = await listenOn(loginShareListener, 'server', config.server.host, config.server.port, servers, timeouts);
      const opsPort = config.ops.enabled
        ? await listenOn(getRequestListener(opsApp.fetch), 'ops', config.ops.host, config.ops.port, servers, timeouts)
        : undefined;
      log.info({ version: BUILD_INFO.version, node: BUILD_INFO.node, port, opsPort, realms: [...realms.keys()] }, 'loginshare-bridge listening');
      // Discovery in the background, so the first login is not the slow one; failures retry on demand.
      for (const c of connectors.values()) {
        if (!c.prepare) continue;
        prepareWithin(c, 10_000).catch((err: unknown) =>
          log.warn({ connector: c.id, err: errorFields(err) }, 'connector not ready yet (will retry)'),
        );
      }
      return { port, opsPort };
    },
    async close() {
      readiness.stop();
      // Logins in flight are answered (each is bounded by the login deadline); idle connections go at once.
      const forceAfterMs = config.server.loginTimeoutMs + 2_000;
      await Promise.all(servers.map((s) => closeGracefully(s, { forceAfterMs })));
      for (const w of watchers.values()) w.close();
      await Promise.all([...connectors.values()].map((c) => c.close?.()));
      await Promise.all([...signInRealms.values()].map((r) => r.method.close?.()));
      await cache.close();
      // Log lines are written in batches (observability/log-destination.ts): what is pending goes out now.
      audit.flush?.();
      log.flush?.();
    },
  };
}

function listenOn(
  listener: RequestListener,
  section: 'server' | 'ops',
  hostname: string,
  port: number,
  servers: Server[],
  timeouts: { keepAliveTimeoutMs: number; headersTimeoutMs: number },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer(listener);
    // An ingress or load balancer that keeps idle connections longer than this would see them reset under it.
    server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
    server.headersTimeout = timeouts.headersTimeoutMs;
    if (section === 'server') answerUnreadableRequestsWithXml(server);
    // The operator needs the config key to change, not only the socket error.
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, section, hostname, port)));
    server.listen(port, hostname, () => resolve((server.address() as AddressInfo).port));
    servers.push(server);
  });
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use by another process',
  EACCES: 'may not be opened by this user (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

function listenError(err: NodeJS.ErrnoException, section: 'server' | 'ops', hostname: string, port: number): Error {
  const problem = err.code ? LISTEN_PROBLEMS[err.code] : undefined;
  if (!problem) return err;
  const env = section === 'server' ? 'LOGINSHARE_HOST / LOGINSHARE_PORT' : 'LOGINSHARE_OPS_HOST / LOGINSHARE_OPS_PORT';
  return new Error(`${section}.host ${hostname}, ${section}.port ${port}: ${hostname}:${port} ${problem} (${err.code}); change ${section}.port or ${section}.host in the config, or ${env}`, { cause: err });
}

/** A connector's warm-up (discovery, keys), bounded like a login is. */
function prepareWithin(connector: PasswordConnector, ms: number): Promise<void> {
  return within(ms, `${connector.id}: warm-up timed out`, async (deadline) => connector.prepare?.(deadline));
}
