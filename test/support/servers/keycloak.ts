import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { KEYCLOAK_REALM, KEYCLOAK_REALM_FILE } from '../keycloak-fixture.js';
import { freeLoopbackPort } from './free-port.js';
import { ServerStartError, spawnServer, waitUntilReady } from './server-process.js';
import { makeServerDir, removeServerDir } from './temp-dir.js';

export const KEYCLOAK_VERSION = '26.5.6';

/** Where a test reaches the Keycloak the harness started (serializable for `provide`). */
export interface KeycloakServerInfo {
  /** `http://127.0.0.1:port` */
  url: string;
  port: number;
  realm: string;
  /** `${url}/realms/${realm}`: the issuer an OIDC client discovers. */
  issuer: string;
  /** Bootstrap admin of the master realm (admin-cli password grant), for tests that inspect state. */
  adminUsername: string;
  adminPassword: string;
  startupMs: number;
}

export interface KeycloakServer extends KeycloakServerInfo {
  readonly info: KeycloakServerInfo;
  stop(): Promise<void>;
}

export interface StartKeycloakOptions {
  /** Realm JSON files to import at start. Default: test/fixtures/keycloak/realm-loginshare.json. */
  realmFiles?: string[];
  /** The realm whose discovery document signals readiness. Default: loginshare. */
  realm?: string;
  /** Default 240 s, or LSB_KEYCLOAK_START_TIMEOUT_MS: 30-90 s is normal on 2 busy cores. */
  startTimeoutMs?: number;
}

function cacheDir(): string {
  return process.env.LSB_CACHE_DIR ?? join(homedir(), '.cache', 'loginshare-bridge');
}

/** The distribution scripts/install-test-deps.sh unpacked (or LSB_KEYCLOAK_HOME). */
export function keycloakDistribution(): string {
  return process.env.LSB_KEYCLOAK_HOME ?? join(cacheDir(), `keycloak-${KEYCLOAK_VERSION}`);
}

/** LSB_JAVA_HOME, else the JDK install-test-deps.sh picked, else JAVA_HOME / `java` on PATH (kc.sh decides). */
function javaHome(): string | undefined {
  if (process.env.LSB_JAVA_HOME) return process.env.LSB_JAVA_HOME;
  const picked = join(cacheDir(), 'keycloak-java-home');
  if (existsSync(picked)) return readFileSync(picked, 'utf8').trim();
  return process.env.JAVA_HOME;
}

/**
 * Starts Keycloak in dev mode with an in-memory database (a fresh realm every run) on 127.0.0.1.
 *
 * Each run gets its own Keycloak home in a temp dir: bin/ and conf/ are copied (kc.sh finds its home from
 * its own real path), lib/, themes/ and providers/ link to the shared distribution, which install-test-deps.sh
 * pre-built for `start-dev --db=dev-mem` so nothing here writes to it. data/import holds the realm files.
 */
export async function startKeycloak(options: StartKeycloakOptions = {}): Promise<KeycloakServer> {
  const distribution = keycloakDistribution();
  if (!existsSync(join(distribution, 'bin', 'kc.sh'))) {
    throw new ServerStartError('keycloak', `Keycloak ${KEYCLOAK_VERSION} is not installed at ${distribution}: run scripts/install-test-deps.sh`);
  }
  const realm = options.realm ?? KEYCLOAK_REALM;
  const startedAt = Date.now();
  const home = await makeServerDir('keycloak');
  await cp(join(distribution, 'bin'), join(home, 'bin'), { recursive: true });
  await cp(join(distribution, 'conf'), join(home, 'conf'), { recursive: true });
  for (const shared of ['lib', 'themes', 'providers']) await symlink(join(distribution, shared), join(home, shared));
  await mkdir(join(home, 'data', 'import'), { recursive: true });
  for (const file of options.realmFiles ?? [KEYCLOAK_REALM_FILE]) await copyFile(file, join(home, 'data', 'import', basename(file)));

  const port = await freeLoopbackPort();
  let managementPort = await freeLoopbackPort();
  while (managementPort === port) managementPort = await freeLoopbackPort();
  const adminUsername = 'admin';
  const adminPassword = randomBytes(12).toString('hex');
  const java = javaHome();
  const server = spawnServer({
    name: 'keycloak',
    command: join(home, 'bin', 'kc.sh'),
    args: [
      'start-dev',
      '--db=dev-mem', // build option: must match warm_keycloak_build in scripts/install-test-deps.sh
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      // Keycloak 26 reserves 9000 for its management interface; never collide with another run's.
      `--http-management-port=${managementPort}`,
      '--import-realm',
    ],
    cwd: home,
    env: {
      ...process.env,
      ...(java ? { JAVA_HOME: java } : {}),
      KC_BOOTSTRAP_ADMIN_USERNAME: adminUsername,
      KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    },
    logFile: join(home, 'keycloak.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  const issuer = `${url}/realms/${realm}`;
  const timeoutMs = options.startTimeoutMs ?? Number(process.env.LSB_KEYCLOAK_START_TIMEOUT_MS ?? 240_000);
  try {
    await waitUntilReady(server, () => servesDiscovery(issuer), timeoutMs, 1_000);
  } catch (err) {
    await server.stop(5_000);
    await removeServerDir(home);
    throw err;
  }
  const info: KeycloakServerInfo = { url, port, realm, issuer, adminUsername, adminPassword, startupMs: Date.now() - startedAt };
  return {
    ...info,
    info,
    async stop() {
      await server.stop(15_000);
      await removeServerDir(home);
    },
  };
}

/** The realm is imported and served once its discovery document answers 200. */
async function servesDiscovery(issuer: string): Promise<boolean> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status === 200;
}
