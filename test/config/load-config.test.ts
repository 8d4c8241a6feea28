import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config/file-errors.js';
import { loadConfig } from '../../src/config/load-config.js';
import { DEMO_CONFIG_PATH } from '../../src/cli/config-path.js';
import { CONNECTOR_TYPES } from '../../src/connectors/registry.js';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lsb-config-'));
  const path = join(dir, 'config.yaml');
  await writeFile(path, text);
  return path;
}

async function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const path = await configFile(text);
  try {
    await loadConfig(path, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as ConfigFileError).message.split('\n').map((line) => line.replace(path, 'config.yaml'));
  }
  throw new Error('expected the config to be refused');
}

const VALID = `
connectors:
  - id: corp
    type: oidc
    issuer: https://idp.example.com/realms/corp
    clientId: kayako
    clientSecret: \${CORP_SECRET}
realms:
  - id: main
    secret: \${KAYAKO_SECRET}
    rules: rules.yaml
    connectors:
      - use: corp
`;

describe('loading the config file', () => {
  it('loads the embedded demo', async () => {
    const config = await loadConfig(DEMO_CONFIG_PATH, {});
    expect(config.realms.map((r) => r.id)).toEqual(['demo']);
    expect(config.realms[0]!.rulesPath).toMatch(/examples\/demo\/rules\.yaml$/);
  });

  it('replaces ${NAME} with the environment and applies defaults', async () => {
    const path = await configFile(VALID);
    const config = await loadConfig(path, { CORP_SECRET: 's3cret', KAYAKO_SECRET: 'k'.repeat(32) });
    expect(config.connectors[0]).toMatchObject({ id: 'corp', clientSecret: 's3cret', scopes: ['openid', 'profile', 'email'], dialect: 'generic' });
    expect(config.realms[0]).toMatchObject({ secret: 'k'.repeat(32), staff: { allowAdmin: false } });
    expect(config.server).toMatchObject({ port: 8080, loginTimeoutMs: 20_000 });
  });

  it('names the file, line and field of a missing environment variable', async () => {
    expect(await issuesOf(VALID, { KAYAKO_SECRET: 'k'.repeat(32) })).toEqual([
      'config.yaml:7:19 connectors[0].clientSecret: environment variable CORP_SECRET is not set',
    ]);
    // Set but empty (an unfilled secret in a manifest) is refused too, and said as it is.
    expect(await issuesOf(VALID, { KAYAKO_SECRET: 'k'.repeat(32), CORP_SECRET: '' })).toEqual([
      'config.yaml:7:19 connectors[0].clientSecret: environment variable CORP_SECRET is empty',
    ]);
  });

  it('lets LOGINSHARE_* variables override the file', async () => {
    const path = await configFile(VALID);
    const config = await loadConfig(path, { CORP_SECRET: 'x', KAYAKO_SECRET: 'k'.repeat(32), LOGINSHARE_PORT: '18080', LOGINSHARE_REDIS_URL: 'redis://127.0.0.1:6390' });
    expect(config.server.port).toBe(18080);
    expect(config.cache.redis?.url).toBe('redis://127.0.0.1:6390');
  });

  it('reports a misspelt key where it is', async () => {
    const issues = await issuesOf(VALID.replace('    rules: rules.yaml', '    rules: rules.yaml\n    alowFrom: [10.0.0.0/8]'), { CORP_SECRET: 'x', KAYAKO_SECRET: 'k'.repeat(32) });
    expect(issues).toEqual(['config.yaml:12:15 realms[0].alowFrom: unknown key "alowFrom" — did you mean "allowFrom"?']);
  });

  it('checks connector sections with their own schema, with positions', async () => {
    const text = VALID.replace('https://idp.example.com/realms/corp', 'http://idp.example.com/realms/corp');
    expect(await issuesOf(text, { CORP_SECRET: 'x', KAYAKO_SECRET: 'k'.repeat(32) })).toEqual([
      'config.yaml:5:13 connectors[0].issuer: http://idp.example.com/realms/corp is plain http: use https://, or set allowInsecureHttp: true (loopback hosts only)',
    ]);
  });

  it('refuses an unknown connector type, a dangling connector reference and a short secret', async () => {
    const text = VALID.replace('type: oidc', 'type: kerberos').replace('use: corp', 'use: crop');
    const issues = await issuesOf(text, { CORP_SECRET: 'x', KAYAKO_SECRET: 'short' });
    expect(issues).toEqual([
      expect.stringMatching(/^config\.yaml:10:13 realms\[0\]\.secret: at least 16 characters/),
    ]);
    const second = await issuesOf(text, { CORP_SECRET: 'x', KAYAKO_SECRET: 'k'.repeat(32) });
    expect(second).toEqual([
      `config.yaml:4:11 connectors[0].type: unknown connector type "kerberos" (known: ${Object.keys(CONNECTOR_TYPES).join(', ')})`,
      'config.yaml:13:14 realms[0].connectors[0].use: no connector with id "crop"',
    ]);
  });

  it('refuses bad CIDRs and YAML syntax errors with positions', async () => {
    const cidr = VALID.replace('    rules: rules.yaml', '    rules: rules.yaml\n    allowFrom: [10.0.0.0/33]');
    expect(await issuesOf(cidr, { CORP_SECRET: 'x', KAYAKO_SECRET: 'k'.repeat(32) })).toEqual([
      'config.yaml:12:17 realms[0].allowFrom[0]: not an IP address or CIDR (e.g. 10.0.0.0/8)',
    ]);
    const syntax = await issuesOf('realms:\n  - id: [unclosed\n');
    expect(syntax[0]).toMatch(/^config\.yaml:\d+:\d+: /);
  });

  it('says so when the file does not exist', async () => {
    await expect(loadConfig('/nonexistent/config.yaml', {})).rejects.toThrow('/nonexistent/config.yaml: file not found');
  });
});
