import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigFileError } from '../../../src/config/file-errors.js';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../src/login/deadline.js';
import type { LoginOutcome } from '../../../src/login/vocabulary.js';
import type { PasswordConnector } from '../../../src/login/password-connector.js';
import { oidcConnectorSchema } from '../../../src/connectors/oidc/oidc-config.js';
import { createOidcConnector } from '../../../src/connectors/oidc/oidc-connector.js';
import { createUpstreamAgent } from '../../../src/login/upstream-agent.js';
import { getJson } from '../../../src/groups/http-json.js';
import { keepProxyEnvironment, startConnectProxy, type ConnectProxy } from '../../support/connect-proxy.js';
import { makeTestCa, type TestCa } from '../../support/test-ca.js';
import { startLoopbackIdp, type LoopbackIdp } from './loopback-idp.js';

/**
 * Upstream calls in the networks platform teams run: an IdP behind a private CA (trusted through `caFile`, a CA
 * made by openssl here), reached through a forward proxy named by HTTPS_PROXY (a real CONNECT proxy on loopback),
 * or directly when NO_PROXY names the host.
 */
let ca: TestCa;
let idp: LoopbackIdp;
let proxy: ConnectProxy;
const open: PasswordConnector[] = [];
const restoreProxyEnvironment = keepProxyEnvironment();

function connector(extra: Record<string, unknown> = {}): PasswordConnector {
  const made = createOidcConnector(
    oidcConnectorSchema.parse({ id: 'adfs', type: 'oidc', issuer: idp.issuer, clientId: idp.clientId, clientSecret: 'secret', timeoutMs: 3_000, ...extra }),
  );
  open.push(made);
  return made;
}

const login = (c: PasswordConnector): Promise<LoginOutcome> =>
  c.login({ username: 'una@corp.example', password: 'pw', endUserIp: '203.0.113.9', audience: 'user', realmId: 'corp' }, deadlineIn(5_000));

const causeText = (outcome: LoginOutcome): string => ('cause' in outcome && outcome.cause instanceof Error ? `${outcome.cause.message} ${String((outcome.cause.cause as Error | undefined)?.message)}` : '');

beforeAll(async () => {
  ca = await makeTestCa();
  idp = await startLoopbackIdp({ tls: { key: ca.serverKey, cert: ca.serverCert } });
  proxy = await startConnectProxy();
});
afterEach(async () => {
  restoreProxyEnvironment();
  await Promise.all(open.splice(0).map((c) => c.close?.()));
});
afterAll(async () => {
  await idp?.stop();
  await proxy?.stop();
  ca?.remove();
});

describe('caFile: an IdP behind a private CA', () => {
  it('refuses the IdP whose certificate no trusted CA signed', async () => {
    const outcome = await login(connector());
    expect(outcome.kind).toBe('unavailable');
    expect(causeText(outcome)).toMatch(/certificate/i);
  });

  it('logs in once the CA is trusted through caFile', async () => {
    const outcome = await login(connector({ caFile: ca.caFile }));
    expect(outcome.kind).toBe('ok');
    expect(idp.lastTokenRequest()?.path).toBe('/token');
  });

  it('does not trust a CA other than the one named (a file with a different CA still fails)', async () => {
    const other = await makeTestCa();
    try {
      const outcome = await login(connector({ caFile: other.caFile }));
      expect(outcome.kind).toBe('unavailable');
    } finally {
      other.remove();
    }
  });

  it('names the file when it cannot be read or holds no certificate', () => {
    expect(() => connector({ caFile: join(ca.dir, 'missing.pem') })).toThrow(/caFile .*missing\.pem: cannot be read \(ENOENT\)/);
    const notPem = join(ca.dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello');
    expect(() => connector({ caFile: notPem })).toThrow(/caFile .*not-pem\.txt: no PEM certificate/);
  });
});

describe('HTTPS_PROXY / NO_PROXY', () => {
  it('reaches the IdP through the forward proxy: discovery, keys and the token request all go through its tunnel', async () => {
    process.env['HTTPS_PROXY'] = proxy.url;
    const before = proxy.tunnels().length;
    const outcome = await login(connector({ caFile: ca.caFile }));
    expect(outcome.kind).toBe('ok');
    const idpHost = new URL(idp.issuer).host;
    expect(proxy.tunnels().slice(before)).toContain(idpHost);
  });

  it('calls a host that NO_PROXY names directly', async () => {
    process.env['HTTPS_PROXY'] = proxy.url;
    process.env['NO_PROXY'] = '127.0.0.1';
    const before = proxy.tunnels().length;
    expect((await login(connector({ caFile: ca.caFile }))).kind).toBe('ok');
    expect(proxy.tunnels().length).toBe(before);
  });

  it('fails the login as unavailable (not as a wrong password) when the proxy is down', async () => {
    process.env['HTTPS_PROXY'] = 'http://127.0.0.1:9';
    const outcome = await login(connector({ caFile: ca.caFile }));
    expect(outcome.kind).toBe('unavailable');
  });

  it('sends group-API calls through the proxy of HTTP_PROXY too', async () => {
    const api: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}'));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    process.env['HTTP_PROXY'] = proxy.url;
    const agent = createUpstreamAgent({ connectTimeoutMs: 2_000 });
    try {
      const target = `127.0.0.1:${(api.address() as AddressInfo).port}`;
      const response = await getJson(`http://${target}/me/transitiveMemberOf`, { headers: {}, signal: AbortSignal.timeout(5_000), timeoutMs: 3_000, dispatcher: agent });
      expect(response.body).toEqual({ value: [] });
      expect(proxy.tunnels()).toContain(target);
    } finally {
      await agent.close();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});

describe('allowInsecureHttp', () => {
  const parse = (extra: Record<string, unknown>) =>
    oidcConnectorSchema.safeParse({ id: 'kc', type: 'oidc', clientId: 'bridge', clientSecret: 's', ...extra });
  const messages = (result: ReturnType<typeof parse>) => (result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));

  it('refuses http:// without it', () => {
    expect(messages(parse({ issuer: 'http://127.0.0.1:8080/realms/corp' }))).toEqual([expect.stringMatching(/^issuer: .*plain http: use https:\/\//)]);
  });

  it('admits http:// to loopback hosts with it', () => {
    for (const issuer of ['http://127.0.0.1:8080/realms/corp', 'http://localhost:8080/realms/corp', 'http://[::1]:8080/realms/corp']) {
      expect(parse({ issuer, allowInsecureHttp: true }).success).toBe(true);
    }
  });

  it('refuses http:// to any other host unless that host is also listed under insecureHttpHosts', () => {
    const lab = parse({ issuer: 'http://keycloak.lab:8080/realms/corp', allowInsecureHttp: true });
    expect(messages(lab)).toEqual([expect.stringMatching(/^issuer: .*not a loopback host.*insecureHttpHosts/)]);
    expect(parse({ issuer: 'http://keycloak.lab:8080/realms/corp', allowInsecureHttp: true, insecureHttpHosts: ['keycloak.lab'] }).success).toBe(true);
    // Listing a host is not enough on its own: both settings are needed.
    expect(messages(parse({ issuer: 'http://keycloak.lab:8080/realms/corp', insecureHttpHosts: ['keycloak.lab'] }))).toEqual([
      expect.stringMatching(/^issuer: /),
      expect.stringMatching(/^insecureHttpHosts: takes effect only with allowInsecureHttp/),
    ]);
  });

  it('applies the same rule to the endpoints discovery names', async () => {
    const plain = await startLoopbackIdp();
    try {
      plain.discoveryAnswer(() => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ issuer: plain.issuer, token_endpoint: 'http://idp.lab.example/token', jwks_uri: `${plain.issuer}/jwks`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }),
      }));
      const made = createOidcConnector(oidcConnectorSchema.parse({ id: 'lab', type: 'oidc', issuer: plain.issuer, clientId: plain.clientId, clientSecret: 's', allowInsecureHttp: true }));
      open.push(made);
      const outcome = await login(made);
      expect(outcome.kind).toBe('misconfigured');
      expect(causeText(outcome)).toMatch(/discovery names http:\/\/idp\.lab\.example\/token is plain http to idp\.lab\.example/);
    } finally {
      await plain.stop();
    }
  });

  it('applies the same rule to configured endpoints', () => {
    const result = parse({
      issuer: 'https://idp.example',
      allowInsecureHttp: true,
      endpoints: { token: 'http://10.0.0.5/token', jwks: 'https://idp.example/jwks' },
    });
    expect(messages(result)).toEqual([expect.stringMatching(/^endpoints\.token: .*10\.0\.0\.5/)]);
  });
});

describe('caFile in the config file', () => {
  const config = (caFile: string) => `connectors:
  - id: adfs
    type: oidc
    issuer: https://adfs.corp.example/adfs
    clientId: kayako
    clientSecret: s
    caFile: ${caFile}
realms:
  - id: corp
    secret: 0123456789abcdef0123
    rules: rules.yaml
    connectors:
      - use: adfs
`;

  it('is read relative to the config file', async () => {
    const path = join(ca.dir, 'config.yaml');
    writeFileSync(path, config('ca.pem'));
    const loaded = await loadConfig(path, {});
    expect((loaded.connectors[0] as { caFile?: string }).caFile).toBe(ca.caFile);
  });

  it('is reported with the file, line and key when it cannot be read', async () => {
    const path = join(ca.dir, 'config-missing-ca.yaml');
    writeFileSync(path, config('corp-root.pem'));
    const error = await loadConfig(path, {}).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigFileError);
    expect((error as ConfigFileError).message).toBe(
      `${path}:7:13 connectors[0].caFile: caFile ${join(ca.dir, 'corp-root.pem')}: cannot be read (ENOENT)`,
    );
  });
});
