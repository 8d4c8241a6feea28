import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config/file-errors.js';
import { loadConfig } from '../../src/config/load-config.js';

/** Config errors as the operator reads them: in file order, in plain words, at the key, with "did you mean". */
async function problems(text: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'lsb-config-errors-'));
  const path = join(dir, 'config.yaml');
  await writeFile(path, text);
  const error = await loadConfig(path, env).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigFileError);
  return (error as ConfigFileError).message.split('\n').map((line) => line.replaceAll(path, 'config.yaml'));
}

const REALM = `realms:
  - id: main
    secret: 0123456789abcdef0123
    rules: rules.yaml
    connectors: [{ use: corp }]
`;

describe('config errors', () => {
  it('say what a key needs in plain words, never the validator\'s "Invalid input: expected string, received undefined"', async () => {
    const found = await problems(`connectors:
  - id: corp
    type: oidc
    issuer: https://idp.example.com
    timeoutMs: fast
${REALM}`);
    expect(found).toEqual([
      'config.yaml:2:5 connectors[0].clientId: is required: give a text value',
      'config.yaml:5:16 connectors[0].timeoutMs: must be a number, not "fast"',
    ]);
    expect(found.join('\n')).not.toMatch(/Invalid input|received undefined/);
  });

  it('suggest the key that was meant, at the misspelt key\'s own line, also inside nested sections', async () => {
    expect(
      await problems(`server:
  prot: 8080
connectors:
  - id: corp
    type: oidc
    issuer: https://idp.example.com
    clientId: kayako
    scopes: [openid, https://graph.microsoft.com/User.Read]
    clientSecert: x
    groups:
      source: graph
      graph: { groupNmes: displayName }
${REALM}`),
    ).toEqual([
      'config.yaml:2:9 server.prot: unknown key "prot" — did you mean "port"?',
      'config.yaml:9:19 connectors[0].clientSecert: unknown key "clientSecert" — did you mean "clientSecret"?',
      'config.yaml:12:27 connectors[0].groups.graph.groupNmes: unknown key "groupNmes" — did you mean "groupNames"?',
    ]);
  });

  it('point at a misspelt key itself when its value is a block on the lines below', async () => {
    expect(
      await problems(`security:
  lockuot:
    maxFailures: 3
connectors:
  - { id: corp, type: local, users: [] }
${REALM}`),
    ).toEqual(['config.yaml:2:3 security.lockuot: unknown key "lockuot" — did you mean "lockout"?']);
  });

  it('suggest the value that was meant for a misspelt choice or connector type', async () => {
    expect(
      await problems(`log: { level: wrn }
connectors:
  - id: corp
    type: oicd
${REALM}`),
    ).toEqual(['config.yaml:1:15 log.level: cannot be "wrn": use one of fatal, error, warn, info, debug, trace, silent — did you mean "warn"?']);
    expect(
      await problems(`connectors:
  - id: corp
    type: oicd
${REALM}`),
    ).toEqual(['config.yaml:3:11 connectors[0].type: unknown connector type "oicd" — did you mean "oidc"? (known: local, oidc, ldap, saml-ecp)']);
    expect(
      await problems(`connectors:
  - id: corp
    type: oidc
    issuer: https://idp.example.com
    clientId: kayako
    groups: { source: grph }
${REALM}`),
    ).toEqual(['config.yaml:6:23 connectors[0].groups.source: cannot be "grph": use one of token, graph, okta — did you mean "graph"?']);
  });

  it('say why an OIDC connector with explicit endpoints still needs its issuer', async () => {
    expect(
      await problems(`connectors:
  - id: corp
    type: oidc
    clientId: kayako
    endpoints: { token: https://idp.example.com/token, jwks: https://idp.example.com/jwks }
${REALM}`),
    ).toEqual(['config.yaml:2:5 connectors[0].issuer: is required, with `endpoints` too: every ID token must name this URL as its issuer (`iss`)']);
  });

  it('refuse an ID-token algorithm openid-client cannot verify — `none` or a typo — before the first login', async () => {
    const connector = (alg: string) => `connectors:
  - id: corp
    type: oidc
    issuer: https://idp.example.com
    clientId: kayako
    idTokenAlg: ${alg}
${REALM}`;
    const none = await problems(connector('none'));
    expect(none).toHaveLength(1);
    expect(none[0]).toMatch(/^config\.yaml:6:17 connectors\[0\]\.idTokenAlg: cannot be "none": use one of RS256, .*EdDSA, Ed25519/);
    expect(await problems(connector('RS265'))).toEqual([
      expect.stringMatching(/^config\.yaml:6:17 connectors\[0\]\.idTokenAlg: cannot be "RS265": use one of .* — did you mean "RS256"\?$/),
    ]);
  });

  it('come in the order of the file, top to bottom', async () => {
    const found = await problems(`connectors:
  - id: corp
    type: oidc
    issuer: not a url
    clientId: ""
    scopes: [profile]
    timeoutMs: 5
${REALM}`);
    const lines = found.map((line) => Number(/^config\.yaml:(\d+):/.exec(line)?.[1]));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(found).toEqual([
      'config.yaml:4:13 connectors[0].issuer: must be a URL such as https://idp.example.com, not "not a url"',
      'config.yaml:5:15 connectors[0].clientId: must not be empty',
      'config.yaml:6:13 connectors[0].scopes: scopes must include "openid": the ID token is what proves who logged in',
      'config.yaml:7:16 connectors[0].timeoutMs: must be at least 100',
    ]);
  });

  it('name the environment variable when an override is wrong, without repeating its value', async () => {
    const found = await problems(`connectors:
  - { id: corp, type: local, users: [] }
${REALM}`, { LOGINSHARE_PORT: 'eighty', LOGINSHARE_OPS_ADMIN_TOKEN: 'short-secret' });
    expect(found).toEqual([
      'environment variable LOGINSHARE_PORT: (overrides server.port of config.yaml) must be a number, not the value given',
      'environment variable LOGINSHARE_OPS_ADMIN_TOKEN: (overrides ops.adminToken of config.yaml) at least 16 characters (generate one: openssl rand -hex 32)',
    ]);
    expect(found.join('\n')).not.toContain('short-secret');
  });
});
