import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config/file-errors.js';
import { loadConfig } from '../../src/config/load-config.js';

const config = (signin: string) => `
connectors:
  - id: corp
    type: oidc
    issuer: https://idp.example.com/realms/corp
    clientId: kayako
    clientSecret: s
realms:
  - id: main
    secret: kayako-secret-0123456789
    rules: rules.yaml
    connectors: [{ use: corp }]
    signin:
${signin}`;

async function load(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'lsb-signin-config-'));
  await writeFile(join(dir, 'config.yaml'), text);
  return { path: join(dir, 'config.yaml'), loading: loadConfig(join(dir, 'config.yaml'), {}) };
}

it('takes a realm’s sign-in page with its defaults', async () => {
  const { loading } = await load(config('      publicUrl: https://bridge.example.com/\n      displayName: Contoso\n      method: { type: oidc, connector: corp }'));
  expect((await loading).realms[0]!.signin).toEqual({
    publicUrl: 'https://bridge.example.com',
    displayName: 'Contoso',
    method: { type: 'oidc', connector: 'corp' },
    codeLifetimeSeconds: 300,
    stateLifetimeSeconds: 600,
    language: 'en',
    text: {},
  });
});

it('names the file, line and key of a method whose connector does not exist, a plain-http URL and an unknown text', async () => {
  const { path, loading } = await load(
    config('      publicUrl: http://bridge.example.com\n      displayName: Contoso\n      method: { type: oidc, connector: crop }\n      text: { startTitel: Hi }'),
  );
  const err = await loading.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigFileError);
  const lines = (err as Error).message.split('\n').map((l) => l.replace(path, 'config.yaml'));
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^config\.yaml:14:18 realms\[0\]\.signin\.publicUrl: must be https:\/\//),
      'config.yaml:17:27 realms[0].signin.text.startTitel: unknown key "startTitel"',
    ]),
  );
  const fixed = await load(config('      publicUrl: https://bridge.example.com\n      displayName: Contoso\n      method: { type: oidc, connector: crop }'));
  await expect(fixed.loading).rejects.toThrow(/config\.yaml:16:\d+ realms\[0\]\.signin\.method\.connector: no oidc connector with id "crop"/);
});

it('refuses app passwords without Redis, where a restart would lose them', async () => {
  const { path, loading } = await load(config('      publicUrl: https://bridge.example.com\n      displayName: Contoso\n      method: { type: oidc, connector: corp }\n      appPasswords: {}'));
  const message = await loading.then(
    () => '',
    (e: unknown) => (e as Error).message.replace(path, 'config.yaml'),
  );
  expect(message).toMatch(/^config\.yaml:17:\d+ realms\[0\]\.signin\.appPasswords: app passwords need cache\.redis/);
});

const samlMethod = (extra = '', ssoUrl = 'https://idp.example.com/realms/corp/protocol/saml') => `      publicUrl: https://bridge.example.com
      displayName: Contoso
      method:
        type: saml
        ssoUrl: ${ssoUrl}
        spEntityId: urn:kayako:bridge
        idpEntityId: https://idp.example.com/realms/corp
        idpCertificates: [MIIBszCCAVmgAwIBAgIUJ]
${extra}`;

it('takes a SAML Web SSO method with the SAML defaults, its ACS URL being always the page’s own', async () => {
  const { loading } = await load(config(samlMethod()));
  expect((await loading).realms[0]!.signin!.method).toMatchObject({
    type: 'saml',
    ssoUrl: 'https://idp.example.com/realms/corp/protocol/saml',
    spEntityId: 'urn:kayako:bridge',
    wantAssertionsSigned: true,
    wantResponseSigned: false,
    clockSkewSeconds: 30,
    allowInsecureHttp: false,
    attributes: { subject: 'nameId', groups: expect.arrayContaining(['groups', 'memberOf']) },
  });
  const withAcs = await load(config(samlMethod('        assertionConsumerServiceUrl: https://elsewhere.example/acs')));
  await expect(withAcs.loading).rejects.toThrow(/realms\[0\]\.signin\.method\.assertionConsumerServiceUrl: unknown key/);
});

it('refuses a plain-http SSO URL and an answer with no signature asked for, naming the line', async () => {
  const { path, loading } = await load(config(samlMethod('        wantAssertionsSigned: false', 'http://idp.example.com/sso')));
  const message = await loading.then(
    () => '',
    (e: unknown) => (e as Error).message.replaceAll(path, 'config.yaml'),
  );
  expect(message).toMatch(/config\.yaml:\d+:\d+ realms\[0\]\.signin\.method\.ssoUrl: must be https:\/\//);
  expect(message).toMatch(/config\.yaml:\d+:\d+ realms\[0\]\.signin\.method\.wantAssertionsSigned: an unsigned answer proves nothing/);
});
