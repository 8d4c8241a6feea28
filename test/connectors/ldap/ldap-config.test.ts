import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTestCertificates } from '../../support/test-ca.js';
import { ConfigFileError } from '../../../src/config/file-errors.js';
import { validateConfig } from '../../../src/config/load-config.js';
import { parseYamlSource } from '../../../src/config/yaml-file.js';

/** The `type: ldap` section as operators write it, through the bridge's real config validation. */
function configWith(connector: string): string {
  return `
connectors:
  - id: corp-ldap
    type: ldap
${connector
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
realms:
  - id: main
    secret: a-kayako-secret-of-some-length
    rules: rules.yaml
    connectors:
      - use: corp-ldap
`;
}

const SEARCH = `
directory: active-directory
urls: [ldaps://dc1.corp.example, ldaps://dc2.corp.example:636]
serviceAccount:
  dn: CN=svc-kayako,OU=Service Accounts,DC=corp,DC=example
  password: \${LDAP_BIND_PASSWORD}
userSearch:
  base: DC=corp,DC=example
`;

const ENV = { LDAP_BIND_PASSWORD: 'service-secret' };

function issues(connector: string, env: NodeJS.ProcessEnv = ENV): string[] {
  try {
    validateConfig(parseYamlSource(configWith(connector), 'config.yaml'), env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as ConfigFileError).message.split('\n');
  }
  return [];
}

describe('ldap connector config', () => {
  it('accepts the usual AD set-up and fills in the defaults', () => {
    expect(issues(SEARCH)).toEqual([]);
    const config = validateConfig(parseYamlSource(configWith(SEARCH), 'config.yaml'), ENV).connectors[0]!;
    expect(config).toMatchObject({
      bind: 'search',
      tls: { startTls: false, verifyCertificate: true },
      allowPlainLdap: false,
      attributes: { proxyAddresses: false, phone: ['telephoneNumber', 'mobile'] },
      groups: { nested: true, names: 'cn' },
      timeouts: { connectMs: 5_000, operationMs: 5_000 },
      pool: { size: 4 },
      serviceAccount: { password: 'service-secret' },
    });
  });

  it('refuses the service account password written into the file, naming its line', () => {
    const written = SEARCH.replace('${LDAP_BIND_PASSWORD}', 'Summer2026!');
    expect(issues(written)).toEqual([expect.stringMatching(/^config\.yaml:\d+:\d+ connectors\[0\]\.serviceAccount\.password: a secret: give it as an environment variable reference/)]);
  });

  it('refuses plain ldap:// to another host unless the operator says so; StartTLS and loopback are fine', () => {
    const plain = SEARCH.replace('ldaps://dc1.corp.example, ldaps://dc2.corp.example:636', 'ldap://dc1.corp.example');
    expect(issues(plain)).toEqual([expect.stringMatching(/connectors\[0\]\.urls\[0\]: plain ldap:\/\/ would send passwords in clear/)]);
    expect(issues(`${plain}\nallowPlainLdap: true`)).toEqual([]);
    expect(issues(`${plain}\ntls: { startTls: true }`)).toEqual([]);
    expect(issues(SEARCH.replace('ldaps://dc1.corp.example, ldaps://dc2.corp.example:636', 'ldap://127.0.0.1:3890'))).toEqual([]);
    // ldap:// host names keep their case in a URL: LOCALHOST is still the machine itself, as for http://.
    expect(issues(SEARCH.replace('ldaps://dc1.corp.example, ldaps://dc2.corp.example:636', 'ldap://LOCALHOST:3890'))).toEqual([]);
    expect(issues(`${SEARCH}\ntls: { startTls: true }`)).toEqual([expect.stringMatching(/tls\.startTls: StartTLS is for ldap:\/\//)]);
    expect(issues(`${plain}\nallowPlainLdap: true\ntls: { servername: ldap.corp.example }`)).toEqual([expect.stringMatching(/connectors\[0\]\.tls: tls settings have no effect on plain ldap:\/\//)]);
  });

  it('takes the CA as a file (caFile) over TLS, not beside an inline tls.ca and not for plain ldap://', async () => {
    const CA_PEM = (await makeTestCertificates()).caPem;
    const dir = mkdtempSync(join(tmpdir(), 'lsb-ldap-ca-'));
    try {
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, CA_PEM);
      expect(issues(`${SEARCH}\ncaFile: ${caFile}`)).toEqual([]);
      expect(issues(`${SEARCH}\ncaFile: ${caFile}\ntls: { ca: ${JSON.stringify(CA_PEM)} }`)).toEqual([expect.stringMatching(/connectors\[0\]\.caFile: give the CA once/)]);
      const plain = SEARCH.replace('ldaps://dc1.corp.example, ldaps://dc2.corp.example:636', 'ldap://dc1.corp.example');
      expect(issues(`${plain}\nallowPlainLdap: true\ncaFile: ${caFile}`)).toEqual([expect.stringMatching(/connectors\[0\]\.caFile: a CA has no effect on plain ldap:\/\//)]);
      expect(issues(`${SEARCH}\ncaFile: ${join(dir, 'missing.pem')}`)).toEqual([expect.stringMatching(/connectors\[0\]\.caFile: caFile .*missing\.pem: cannot be read/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what each bind mode needs', () => {
    expect(issues('urls: [ldaps://dc1.corp.example]\ndirectory: openldap')).toEqual([
      expect.stringMatching(/serviceAccount: bind: search needs serviceAccount/),
      expect.stringMatching(/userSearch: bind: search needs userSearch/),
    ]);
    expect(issues('urls: [ldaps://dc1.corp.example]\nbind: direct')).toEqual([expect.stringMatching(/bindTemplate: bind: direct needs bindTemplate/)]);
    expect(issues('urls: [ldaps://dc1.corp.example]\nbind: direct\nbindTemplate: "{username}@corp.example"')).toEqual([
      expect.stringMatching(/userSearch: a bindTemplate that is not a DN .* needs userSearch/),
    ]);
    expect(issues('urls: [ldaps://ldap.example.com]\nbind: direct\nbindTemplate: "uid={username},ou=people,dc=example,dc=com"')).toEqual([]);
  });

  it('checks filter templates: placeholders known and present, RFC 4515 syntax', () => {
    expect(issues(`${SEARCH}  filter: "(sAMAccountName={user})"`)).toEqual([expect.stringMatching(/userSearch\.filter: unknown placeholder \{user\}/)]);
    expect(issues(`${SEARCH}  filter: "(sAMAccountName=alice)"`)).toEqual([expect.stringMatching(/userSearch\.filter: the filter must contain \{username\}/)]);
    expect(issues(`${SEARCH}  filter: "(sAMAccountName={username}"`)).toEqual([expect.stringMatching(/userSearch\.filter: not an LDAP filter/)]);
  });
});
