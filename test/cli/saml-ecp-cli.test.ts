import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runExplain } from '../../src/cli/explain.js';
import { runProbe } from '../../src/cli/probe.js';
import { runCli } from '../support/cli-runner.js';
import { samlKeyPair, startSamlTestIdp, type SamlTestIdp } from '../support/saml-test-idp.js';
import { SAML_REALM_SECRET, samlLoginShare, type SamlLoginShare } from '../support/saml-loginshare.js';

/**
 * `explain --login` and `probe` with a saml-ecp connector, against the loopback ECP IdP: the operator's two ways
 * of checking a SAML set-up before Kayako is pointed at it.
 */
const SP = 'https://bridge.example.test/sp';
const ACS = 'https://bridge.example.test/saml/ecp';
const PASSWORD = 'erin-saml-password';
const RULES = `rules:
  - name: enterprise-customers
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: "{{ claims.o }}", organizationtype: shared }
`;

let idp: SamlTestIdp;
let configPath: string;
let bridge: SamlLoginShare;
let connectorSection: Record<string, unknown>;

beforeAll(async () => {
  idp = await startSamlTestIdp({
    keys: await samlKeyPair('cli-test-idp'),
    spEntityId: SP,
    assertionConsumerServiceUrl: ACS,
    users: {
      erin: {
        password: PASSWORD,
        attributes: [
          { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', values: ['erin@bigcorp.example'] },
          { name: 'urn:oid:2.16.840.1.113730.3.1.241', friendlyName: 'displayName', values: ['Erin Enterprise'] },
          { name: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1', friendlyName: 'isMemberOf', values: ['Customers', 'Enterprise'] },
          { name: 'urn:oid:2.5.4.10', friendlyName: 'o', values: ['BigCorp'] },
        ],
      },
    },
  });
  connectorSection = {
    id: 'campus',
    type: 'saml-ecp',
    ecpUrl: idp.url,
    idpEntityId: idp.entityId,
    idpCertificates: [idp.keys.certificate],
    spEntityId: SP,
    assertionConsumerServiceUrl: ACS,
    allowInsecureHttp: true,
  };
  const dir = await mkdtemp(join(tmpdir(), 'lsb-saml-cli-'));
  configPath = join(dir, 'config.yaml');
  await writeFile(join(dir, 'rules.yaml'), RULES);
  await writeFile(
    configPath,
    stringify({ connectors: [connectorSection], realms: [{ id: 'main', secret: SAML_REALM_SECRET, rules: 'rules.yaml', connectors: [{ use: 'campus' }] }] }),
  );
  const { id: _id, type: _type, ...rest } = connectorSection;
  bridge = await samlLoginShare(rest, { rules: RULES });
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  await idp?.close();
});

describe('explain --login with a saml-ecp connector', () => {
  it('signs in through the IdP and shows the identity, the matching rule and the XML', async () => {
    const { code, stdout } = await runCli(runExplain, ['--config', configPath, '--audience', 'user', '--login', 'erin', '--password-stdin'], { stdin: PASSWORD });
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('connector campus: ok');
    expect(stdout).toMatch(/enterprise-customers \(line \d+\): MATCHED/);
    expect(stdout).toContain('<usergroup>Enterprise</usergroup>');
    expect(stdout).toContain('<organization>BigCorp</organization>');
    expect(stdout).toContain('erin@bigcorp.example');
    expect(stdout).not.toContain(PASSWORD);
  });

  it('reports a refused answer with its reason, without evaluating rules', async () => {
    const { code, stdout } = await runCli(runExplain, ['--config', configPath, '--audience', 'user', '--login', 'erin', '--password-stdin'], { stdin: 'wrong' });
    expect(code).toBe(1);
    expect(stdout).toContain('invalid_credentials');

    idp.answer = (request) => idp.signedAnswer(request, { audience: 'https://someone-else.example.test' });
    try {
      const refused = await runCli(runExplain, ['--config', configPath, '--audience', 'user', '--login', 'erin', '--password-stdin'], { stdin: PASSWORD });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/connector campus: misconfigured.*audience/);
    } finally {
      idp.answer = (request) => idp.signedAnswer(request);
    }
  });
});

describe('probe against a bridge with a saml-ecp connector', () => {
  it('posts as Kayako does and reports the accepted login with the profile the assertion gave', async () => {
    const url = bridge.url;
    const { code, stdout } = await runCli(runProbe, ['--url', url, '--username', 'erin', '--password-env', 'SAML_PASSWORD', '--usergroups', 'Registered,Enterprise'], {
      env: { SAML_PASSWORD: PASSWORD },
    });
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('Verdict: Kayako ACCEPTS this login');
    expect(stdout).toMatch(/user group: +"Enterprise"/);
    expect(stdout).toMatch(/organization: +"BigCorp"/);
    expect(stdout).toContain('erin@bigcorp.example');
    expect(stdout).not.toContain(PASSWORD);
  });

  it('reports a forged answer as refused (exit 1)', async () => {
    idp.answer = (request) => idp.signedAnswer(request, { issuer: 'https://evil.example.test/idp' });
    try {
      const { code, stdout } = await runCli(runProbe, ['--url', bridge.url, '--username', 'erin', '--password-env', 'SAML_PASSWORD'], { env: { SAML_PASSWORD: PASSWORD } });
      expect(code, stdout).toBe(1);
      expect(stdout).toContain('Verdict: Kayako REFUSES this login');
      expect(stdout).toContain('Sign-in is temporarily unavailable');
    } finally {
      idp.answer = (request) => idp.signedAnswer(request);
    }
  });
});
