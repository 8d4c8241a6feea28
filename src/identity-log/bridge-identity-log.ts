import type { KeyValueCache } from '../cache/cache.js';
import { createMemoryCache } from '../cache/memory-cache.js';
import type { BridgeConfig } from '../config/load-config.js';
import type { LoginFlowDeps } from '../loginshare/login-flow.js';
import type { Logger } from '../observability/logger.js';
import { createIdentityLog, type IdentityLog } from './identity-log.js';

/**
 * The identity log of a running bridge: in Redis when configured (so all replicas write one log), otherwise in
 * a memory store of its own, sized for the log, so group lookups and throttle counts never push entries out.
 */
export function createBridgeIdentityLog(config: BridgeConfig, shared: KeyValueCache): IdentityLog {
  const settings = config.identityLog;
  const store = config.cache.redis
    ? shared
    : // Per realm: the slots, the position and one "recently seen" mark per person.
      createMemoryCache({ maxEntries: config.realms.length * (settings.maxEntries * 2 + 1) });
  return createIdentityLog(settings, store);
}

/** The login flow's hook: recording never holds up or fails a login. */
export function recordIdentity(log: IdentityLog, logger: Logger): NonNullable<LoginFlowDeps['onIdentity']> {
  return (realmId, audience, staffInterface, identity) => {
    log.record(realmId, audience, staffInterface, identity).catch((err: unknown) => {
      logger.debug({ err: { message: err instanceof Error ? err.message : String(err) } }, 'identity log: entry not recorded');
    });
  };
}
