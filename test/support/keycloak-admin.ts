import { setTimeout as sleep } from 'node:timers/promises';
import type { KeycloakServerInfo } from './servers/keycloak.js';

/**
 * The bits of Keycloak's admin REST API the tests need to see what the wire does not say.
 *
 * Keycloak 26 records brute-force failures and success resets on a background executor, after the token
 * endpoint has answered. A test that fails N times and immediately tries again races that bookkeeping;
 * wait for it with `waitForBruteForce` instead.
 */
export interface BruteForceStatus {
  numFailures: number;
  disabled: boolean;
  [other: string]: unknown;
}

export interface KeycloakAdmin {
  userId(username: string): Promise<string>;
  bruteForceStatus(userId: string): Promise<BruteForceStatus>;
  /** Polls until `done(status)` holds; throws after `timeoutMs` with the last status seen. */
  waitForBruteForce(userId: string, done: (status: BruteForceStatus) => boolean, timeoutMs?: number): Promise<BruteForceStatus>;
}

export async function keycloakAdmin(keycloak: KeycloakServerInfo): Promise<KeycloakAdmin> {
  const tokenResponse = await fetch(`${keycloak.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: keycloak.adminUsername, password: keycloak.adminPassword }),
    signal: AbortSignal.timeout(15_000),
  });
  if (tokenResponse.status !== 200) throw new Error(`Keycloak admin login failed: HTTP ${tokenResponse.status}`);
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };

  async function get<T>(path: string): Promise<T> {
    const response = await fetch(`${keycloak.url}/admin/realms/${keycloak.realm}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 200) throw new Error(`Keycloak admin GET ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  const admin: KeycloakAdmin = {
    async userId(username) {
      const [user] = await get<{ id: string }[]>(`/users?exact=true&username=${encodeURIComponent(username)}`);
      if (!user) throw new Error(`${username} is not in realm ${keycloak.realm}`);
      return user.id;
    },
    bruteForceStatus: (userId) => get<BruteForceStatus>(`/attack-detection/brute-force/users/${userId}`),
    async waitForBruteForce(userId, done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await admin.bruteForceStatus(userId);
        if (done(status)) return status;
        if (Date.now() > deadline) throw new Error(`brute-force status still ${JSON.stringify(status)} after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
  };
  return admin;
}

/** The SAML client `ensureSamlEcpClient` registers, and what the bridge's saml-ecp connector needs to reach it. */
export interface KeycloakSamlEcpClient {
  /** The client id, which is the SP entity id. */
  spEntityId: string;
  assertionConsumerServiceUrl: string;
  /** The realm's entity id (the Issuer of its assertions). */
  idpEntityId: string;
  ecpUrl: string;
  /** The realm's signing certificate(s), base64 as its SAML descriptor publishes them. */
  idpCertificates: string[];
}

export const KEYCLOAK_SAML_CLIENT = {
  spEntityId: 'urn:loginshare:bridge:saml-ecp',
  assertionConsumerServiceUrl: 'https://bridge.example.test/saml/ecp',
} as const;

/**
 * Registers (once per Keycloak run; later calls find it) a SAML client that allows the ECP flow and signs its
 * assertions, with a group-list mapper (`groups`, names not paths) and attribute mappers: email as
 * urn:oid:0.9.2342.19200300.100.1.3 (FriendlyName `mail`), first and last name as URI names with FriendlyNames,
 * and `jobTitle` under its plain name. NameID: the username.
 */
export async function ensureSamlEcpClient(keycloak: KeycloakServerInfo): Promise<KeycloakSamlEcpClient> {
  const token = await adminToken(keycloak);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const uriAttribute = (name: string, property: string, attributeName: string, friendlyName: string) => ({
    name,
    protocol: 'saml',
    protocolMapper: 'saml-user-property-mapper',
    config: { 'user.attribute': property, 'attribute.name': attributeName, 'friendly.name': friendlyName, 'attribute.nameformat': 'URI Reference' },
  });
  const client = {
    clientId: KEYCLOAK_SAML_CLIENT.spEntityId,
    protocol: 'saml',
    enabled: true,
    frontchannelLogout: false,
    redirectUris: [KEYCLOAK_SAML_CLIENT.assertionConsumerServiceUrl],
    attributes: {
      'saml.allow.ecp.flow': 'true',
      'saml.client.signature': 'false',
      'saml.assertion.signature': 'true',
      'saml.server.signature': 'true',
      'saml.signature.algorithm': 'RSA_SHA256',
      'saml.authnstatement': 'true',
      'saml_force_name_id_format': 'true',
      'saml_name_id_format': 'username',
      saml_assertion_consumer_url_post: KEYCLOAK_SAML_CLIENT.assertionConsumerServiceUrl,
    },
    protocolMappers: [
      {
        name: 'groups',
        protocol: 'saml',
        protocolMapper: 'saml-group-membership-mapper',
        config: { 'attribute.name': 'groups', 'attribute.nameformat': 'Basic', single: 'false', 'full.path': 'false' },
      },
      uriAttribute('email', 'email', 'urn:oid:0.9.2342.19200300.100.1.3', 'mail'),
      uriAttribute('given name', 'firstName', 'urn:oid:2.5.4.42', 'givenName'),
      uriAttribute('surname', 'lastName', 'urn:oid:2.5.4.4', 'surname'),
      {
        name: 'jobTitle',
        protocol: 'saml',
        protocolMapper: 'saml-user-attribute-mapper',
        config: { 'user.attribute': 'jobTitle', 'attribute.name': 'jobTitle', 'attribute.nameformat': 'Basic' },
      },
    ],
  };
  const created = await fetch(`${keycloak.url}/admin/realms/${keycloak.realm}/clients`, {
    method: 'POST',
    headers,
    body: JSON.stringify(client),
    signal: AbortSignal.timeout(15_000),
  });
  // 409: an earlier test file of this run registered it already.
  if (created.status !== 201 && created.status !== 409) throw new Error(`Keycloak admin: creating the SAML client: HTTP ${created.status} ${await created.text()}`);

  return { ...KEYCLOAK_SAML_CLIENT, ...(await samlDescriptor(keycloak)), ecpUrl: `${keycloak.issuer}/protocol/saml` };
}

/** The realm's SAML entity id and signing certificates, from its IdP descriptor. */
async function samlDescriptor(keycloak: KeycloakServerInfo): Promise<{ idpEntityId: string; idpCertificates: string[] }> {
  const descriptor = await fetch(`${keycloak.issuer}/protocol/saml/descriptor`, { signal: AbortSignal.timeout(15_000) });
  if (descriptor.status !== 200) throw new Error(`Keycloak SAML descriptor: HTTP ${descriptor.status}`);
  const metadata = await descriptor.text();
  const idpCertificates = [...new Set([...metadata.matchAll(/<(?:ds:)?X509Certificate>([^<]+)<\/(?:ds:)?X509Certificate>/g)].map((m) => m[1]!.trim()))];
  const idpEntityId = /entityID="([^"]+)"/.exec(metadata)?.[1];
  if (idpCertificates.length === 0 || !idpEntityId) throw new Error('Keycloak SAML descriptor names no entity id or certificate');
  return { idpEntityId, idpCertificates };
}

export interface SamlWebSsoClientSpec {
  /** The client id, which is the SP entity id. */
  clientId: string;
  /** The bridge's `/signin/<realm>/saml/acs` URLs the IdP may post to (exact). */
  assertionConsumerServiceUrls: string[];
}

export interface KeycloakSamlWebSsoClient {
  spEntityId: string;
  /** The realm's SSO endpoint (HTTP-Redirect binding). */
  ssoUrl: string;
  idpEntityId: string;
  idpCertificates: string[];
}

/**
 * A SAML client for Web SSO through the browser, as docs/signin-codes.md tells an operator to set one up: answers
 * by the HTTP-POST binding only, the Response and the assertion signed (RSA-SHA256), requests not signed, NameID
 * the username, a group-list mapper (`groups`, names not paths) and the same attribute mappers as the ECP client
 * (email as urn:oid:0.9.2342.19200300.100.1.3 with FriendlyName `mail`, first and last name, `jobTitle`).
 */
export async function createSamlWebSsoClient(keycloak: KeycloakServerInfo, spec: SamlWebSsoClientSpec): Promise<KeycloakSamlWebSsoClient> {
  const userProperty = (name: string, property: string, attributeName: string, friendlyName: string) => ({
    name,
    protocol: 'saml',
    protocolMapper: 'saml-user-property-mapper',
    config: { 'user.attribute': property, 'attribute.name': attributeName, 'friendly.name': friendlyName, 'attribute.nameformat': 'URI Reference' },
  });
  await adminPost(keycloak, '/clients', {
    clientId: spec.clientId,
    protocol: 'saml',
    enabled: true,
    frontchannelLogout: false,
    redirectUris: spec.assertionConsumerServiceUrls,
    attributes: {
      'saml.force.post.binding': 'true',
      'saml.client.signature': 'false',
      'saml.assertion.signature': 'true',
      'saml.server.signature': 'true',
      'saml.signature.algorithm': 'RSA_SHA256',
      'saml.authnstatement': 'true',
      saml_force_name_id_format: 'true',
      saml_name_id_format: 'username',
    },
    protocolMappers: [
      {
        name: 'groups',
        protocol: 'saml',
        protocolMapper: 'saml-group-membership-mapper',
        config: { 'attribute.name': 'groups', 'attribute.nameformat': 'Basic', single: 'false', 'full.path': 'false' },
      },
      userProperty('email', 'email', 'urn:oid:0.9.2342.19200300.100.1.3', 'mail'),
      userProperty('given name', 'firstName', 'urn:oid:2.5.4.42', 'givenName'),
      userProperty('surname', 'lastName', 'urn:oid:2.5.4.4', 'surname'),
      {
        name: 'jobTitle',
        protocol: 'saml',
        protocolMapper: 'saml-user-attribute-mapper',
        config: { 'user.attribute': 'jobTitle', 'attribute.name': 'jobTitle', 'attribute.nameformat': 'Basic' },
      },
    ],
  });
  return { spEntityId: spec.clientId, ssoUrl: `${keycloak.issuer}/protocol/saml`, ...(await samlDescriptor(keycloak)) };
}

/** A master-realm admin token (admin-cli password grant) for the set-up calls below. */
async function adminToken(keycloak: KeycloakServerInfo): Promise<string> {
  const response = await fetch(`${keycloak.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: keycloak.adminUsername, password: keycloak.adminPassword }),
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status !== 200) throw new Error(`Keycloak admin login failed: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function adminPost(keycloak: KeycloakServerInfo, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${keycloak.url}/admin/realms/${keycloak.realm}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await adminToken(keycloak)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status !== 201 && response.status !== 204) throw new Error(`Keycloak admin POST ${path}: HTTP ${response.status} ${await response.text()}`);
}

export interface OtpUserSpec {
  username: string;
  password: string;
  /**
   * The TOTP secret as Keycloak stores it: the HMAC key is this string's UTF-8 bytes (what an authenticator
   * app gets as Base32 in the QR code). 6 digits, 30 s, HmacSHA1 — Keycloak's default OTP policy.
   */
  otpSecret: string;
  groups?: string[];
}

/**
 * A user with a password and a configured TOTP credential, made through the admin API (each test file makes its
 * own, so two files never spend the same one-time code: Keycloak refuses a code used once). The realm's default
 * direct-grant and browser flows then ask this user for the code.
 */
export async function createOtpUser(keycloak: KeycloakServerInfo, spec: OtpUserSpec): Promise<void> {
  await adminPost(keycloak, '/users', {
    username: spec.username,
    enabled: true,
    email: `${spec.username}@otp.example.com`,
    emailVerified: true,
    firstName: 'Otto',
    lastName: 'Tp',
    requiredActions: [],
    groups: spec.groups ?? ['/Customers'],
    credentials: [
      { type: 'password', value: spec.password, temporary: false },
      {
        type: 'otp',
        userLabel: 'test authenticator',
        secretData: JSON.stringify({ value: spec.otpSecret }),
        credentialData: JSON.stringify({ subType: 'totp', digits: 6, counter: 0, period: 30, algorithm: 'HmacSHA1' }),
      },
    ],
  });
}

export interface CodeFlowClientSpec {
  clientId: string;
  secret: string;
  /** Exact redirect URIs (the bridge's `/signin/<realm>/callback`). */
  redirectUris: string[];
  /** Keycloak shows a consent screen whose "No" sends the person back with `error=access_denied`. */
  consentRequired?: boolean;
}

/** A confidential client for the authorization-code flow, with the same `groups` / `jobTitle` claims as kayako-bridge. */
export async function createCodeFlowClient(keycloak: KeycloakServerInfo, spec: CodeFlowClientSpec): Promise<void> {
  await adminPost(keycloak, '/clients', {
    clientId: spec.clientId,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    secret: spec.secret,
    clientAuthenticatorType: 'client-secret',
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    consentRequired: spec.consentRequired ?? false,
    redirectUris: spec.redirectUris,
    webOrigins: [],
    attributes: { 'pkce.code.challenge.method': 'S256' },
    protocolMappers: [
      {
        name: 'groups',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-group-membership-mapper',
        config: { 'claim.name': 'groups', 'id.token.claim': 'true', 'access.token.claim': 'true', 'userinfo.token.claim': 'true', 'full.path': 'false' },
      },
      {
        name: 'jobTitle',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-usermodel-attribute-mapper',
        config: { 'claim.name': 'jobTitle', 'id.token.claim': 'true', 'access.token.claim': 'true', 'jsonType.label': 'String', 'user.attribute': 'jobTitle' },
      },
    ],
  });
}
