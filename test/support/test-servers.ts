import type { ChromiumInfo } from './servers/chromium.js';
import type { KeycloakServerInfo } from './servers/keycloak.js';
import type { RedisServerInfo } from './servers/redis.js';
import type { SlapdServerInfo } from './servers/slapd.js';

/** The real servers test/support/global-setup.ts starts once per run. */
export const SERVER_NAMES = ['redis', 'slapd', 'keycloak', 'chromium'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

export interface ServerInfos {
  redis: RedisServerInfo;
  slapd: SlapdServerInfo;
  keycloak: KeycloakServerInfo;
  /** Not a server: the installed browser, checked once; each test file launches its own. */
  chromium: ChromiumInfo;
}

/** What global setup hands every test file through `provide('lsbServers', …)` / `inject('lsbServers')`. */
export interface TestServers {
  running: Partial<ServerInfos>;
  /** Why a server is not running: not selected by LSB_TEST_SERVERS, or it failed to start. */
  unavailable: Partial<Record<ServerName, string>>;
  /** CI=true: a test that needs a server that is not running fails instead of skipping. */
  strict: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lsbServers: TestServers;
  }
}
