import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Constants of test/fixtures/keycloak/realm-loginshare.json, read from the file itself so the two cannot
 * drift: client ids, secrets, user passwords and the groups each user should get in the `groups` claim.
 *
 * Brute-force detection is on in that realm: 3 failures in a row lock a user for 60 s, counted per user
 * across the whole run because one Keycloak serves every test file. So: wrong-password tests use
 * `mistyped-mike` (only ever given wrong passwords, so a lockout changes nothing he sees), lockout tests
 * use `locked-lucy`, and successes use the others.
 */
export const KEYCLOAK_REALM_FILE = fileURLToPath(new URL('../fixtures/keycloak/realm-loginshare.json', import.meta.url));

interface RealmFile {
  realm: string;
  failureFactor: number;
  waitIncrementSeconds: number;
  clients: { clientId: string; secret?: string; publicClient: boolean; directAccessGrantsEnabled: boolean }[];
  users: {
    username: string;
    enabled: boolean;
    email?: string;
    firstName?: string;
    lastName?: string;
    requiredActions: string[];
    credentials: { type: string; value: string }[];
    groups: string[];
    attributes?: Record<string, string[]>;
  }[];
}

const realmFile = JSON.parse(readFileSync(KEYCLOAK_REALM_FILE, 'utf8')) as RealmFile;

export const KEYCLOAK_REALM = realmFile.realm;
export const KEYCLOAK_BRUTE_FORCE = {
  maxFailures: realmFile.failureFactor,
  lockSeconds: realmFile.waitIncrementSeconds,
} as const;

export interface KeycloakFixtureClient {
  clientId: string;
  /** undefined for public clients. */
  secret: string | undefined;
  directAccessGrants: boolean;
}

function client(clientId: string): KeycloakFixtureClient {
  const found = realmFile.clients.find((c) => c.clientId === clientId);
  if (!found) throw new Error(`client ${clientId} is not in ${KEYCLOAK_REALM_FILE}`);
  return { clientId, secret: found.publicClient ? undefined : found.secret, directAccessGrants: found.directAccessGrantsEnabled };
}

export interface KeycloakFixtureUser {
  username: string;
  password: string;
  email: string | undefined;
  givenName: string | undefined;
  familyName: string | undefined;
  /** What the `groups` claim carries: group names, not paths (the mapper has full.path false). */
  groups: string[];
  jobTitle: string | undefined;
}

function user(username: string): KeycloakFixtureUser {
  const found = realmFile.users.find((u) => u.username === username);
  const password = found?.credentials.find((c) => c.type === 'password')?.value;
  if (!found || password === undefined) throw new Error(`user ${username} with a password is not in ${KEYCLOAK_REALM_FILE}`);
  return {
    username,
    password,
    email: found.email,
    givenName: found.firstName,
    familyName: found.lastName,
    groups: found.groups.map((path) => path.slice(path.lastIndexOf('/') + 1)),
    jobTitle: found.attributes?.jobTitle?.[0],
  };
}

export const KEYCLOAK_CLIENTS = {
  /** Confidential, direct access grants on, `groups` / `jobTitle` / `roles` claims in the ID token. */
  bridge: client('kayako-bridge'),
  /** Confidential, direct access grants off: the password grant answers `unauthorized_client`. */
  noDirectGrant: client('no-direct-grant'),
  /** Public (no secret), direct access grants on. */
  public: client('kayako-public'),
} as const;

export const KEYCLOAK_USERS = {
  /** Customers + Enterprise, verified email, jobTitle "Purchasing Manager". */
  alice: user('alice'),
  /** Helpdesk-Agents + /Corp/Support (claim: "Support"), realm role kayako-staff. */
  bobAgent: user('bob-agent'),
  /** enabled: false. Keycloak says "Account disabled" even for a wrong password. */
  disabledDave: user('disabled-dave'),
  /** requiredActions [UPDATE_PASSWORD]: "Account is not fully set up". */
  pendingPaula: user('pending-paula'),
  /** Reserved for brute-force lockout tests. */
  lockedLucy: user('locked-lucy'),
  /** No last name, which the realm's user profile requires: "Account is not fully set up". */
  incompleteIvan: user('incomplete-ivan'),
  /** For wrong-password tests only (see above). */
  mistypedMike: user('mistyped-mike'),
  /** An email Keycloak has not verified (the realm's "Verify email" is off): logs in, email_verified false. */
  unverifiedUma: user('unverified-uma'),
} as const;
