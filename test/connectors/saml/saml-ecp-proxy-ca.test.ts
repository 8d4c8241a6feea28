import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { samlEcpConnectorSchema } from '../../../src/connectors/saml/saml-config.js';
import { createSamlEcpConnector } from '../../../src/connectors/saml/saml-ecp-connector.js';
import { deadlineIn } from '../../../src/login/deadline.js';
import type { PasswordConnector } from '../../../src/login/password-connector.js';
import type { LoginOutcome } from '../../../src/login/vocabulary.js';
import { keepProxyEnvironment, startConnectProxy, type ConnectProxy } from '../../support/connect-proxy.js';
import { samlKeyPair, startSamlTestIdp, type SamlKeyPair, type SamlTestIdp } from '../../support/saml-test-idp.js';
import { makeTestCa, type TestCa } from '../../support/test-ca.js';

/**
 * A SAML ECP IdP in the networks platform teams run, as for the OIDC connectors: behind a private CA (trusted
 * through the connector's `caFile`), reached through the forward proxy of HTTPS_PROXY (a real CONNECT proxy on
 * loopback, which sees the host name and never the password), or directly when NO_PROXY names the host.
 */
const SP = 'https://bridge.example.test/sp';
const ACS = 'https://bridge.example.test/saml/ecp';
const restoreProxyEnvironment = keepProxyEnvironment();

let ca: TestCa;
let keys: SamlKeyPair;
let idp: SamlTestIdp;
let proxy: ConnectProxy;
const open: PasswordConnector[] = [];

function connector(extra: Record<string, unknown> = {}): PasswordConnector {
  const made = createSamlEcpConnector(
    samlEcpConnectorSchema.parse({
      id: 'shib',
      type: 'saml-ecp',
      ecpUrl: idp.url,
      idpEntityId: idp.entityId,
      idpCertificates: [keys.certificate],
      spEntityId: SP,
      assertionConsumerServiceUrl: ACS,
      timeoutMs: 3_000,
      ...extra,
    }),
  );
  open.push(made);
  return made;
}

const login = (c: PasswordConnector, password = 'alice-pw'): Promise<LoginOutcome> =>
  c.login({ username: 'alice', password, endUserIp: '203.0.113.9', audience: 'user', realmId: 'corp', staffInterface: undefined }, deadlineIn(5_000));

const causeText = (outcome: LoginOutcome): string =>
  'cause' in outcome && outcome.cause instanceof Error ? `${outcome.cause.message} ${String((outcome.cause.cause as Error | undefined)?.message)}` : '';

beforeAll(async () => {
  ca = await makeTestCa();
  keys = await samlKeyPair('test-idp');
  idp = await startSamlTestIdp({
    keys,
    spEntityId: SP,
    assertionConsumerServiceUrl: ACS,
    users: { alice: { password: 'alice-pw', attributes: [{ name: 'email', values: ['alice@corp.example'] }] } },
    tls: { key: ca.serverKey, cert: ca.serverCert },
  });
  proxy = await startConnectProxy();
}, 60_000);
afterEach(async () => {
  restoreProxyEnvironment();
  await Promise.all(open.splice(0).map((c) => c.close?.()));
});
afterAll(async () => {
  await idp?.close();
  await proxy?.stop();
  ca?.remove();
});

describe('caFile: a SAML ECP IdP behind a private CA', () => {
  it('refuses the IdP whose certificate no trusted CA signed, as unavailable (never as a wrong password)', async () => {
    const before = idp.received.length;
    const outcome = await login(connector());
    expect(outcome.kind).toBe('unavailable');
    expect(causeText(outcome)).toMatch(/certificate/i);
    // The TLS handshake failed: the password was never sent.
    expect(idp.received.length).toBe(before);
  });

  it('logs in once the CA is trusted through caFile', async () => {
    const outcome = await login(connector({ caFile: ca.caFile }));
    expect(outcome.kind, causeText(outcome)).toBe('ok');
    expect(outcome.kind === 'ok' && outcome.identity.emails).toEqual(['alice@corp.example']);
  });

  it('does not trust a CA other than the one named', async () => {
    const other = await makeTestCa();
    try {
      expect((await login(connector({ caFile: other.caFile }))).kind).toBe('unavailable');
    } finally {
      other.remove();
    }
  });
});

describe('HTTPS_PROXY / NO_PROXY for SAML ECP', () => {
  it('reaches the IdP through the forward proxy, and a wrong password is still a wrong password', async () => {
    process.env['HTTPS_PROXY'] = proxy.url;
    const before = proxy.tunnels().length;
    const through = connector({ caFile: ca.caFile });
    expect((await login(through)).kind).toBe('ok');
    expect(proxy.tunnels().slice(before)).toContain(new URL(idp.url).host);
    expect((await login(through, 'not-her-password')).kind).toBe('invalid_credentials');
  });

  it('calls a host that NO_PROXY names directly', async () => {
    process.env['HTTPS_PROXY'] = proxy.url;
    process.env['NO_PROXY'] = '127.0.0.1';
    const before = proxy.tunnels().length;
    expect((await login(connector({ caFile: ca.caFile }))).kind).toBe('ok');
    expect(proxy.tunnels().length).toBe(before);
  });

  it('fails the login as unavailable when the proxy is down', async () => {
    process.env['HTTPS_PROXY'] = 'http://127.0.0.1:9';
    expect((await login(connector({ caFile: ca.caFile }))).kind).toBe('unavailable');
  });
});
