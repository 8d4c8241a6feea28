/**
 * The Helm chart, rendered offline with `helm lint` / `helm template` over the fixtures in test/fixtures/helm/,
 * checked for what an operator relies on: the pod is locked down, probes hit the ops port, secrets stay out of
 * ConfigMaps, a config change rolls the pods while a rules change does not, and the rendered config.yaml and
 * rules files are accepted by the bridge's own loaders.
 *
 * Helm comes from $LSB_HELM, else scripts/fetch-helm.sh (cached), else `helm` on PATH. Without it the suite
 * is skipped loudly, or fails with CI=true.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { validateConfig } from '../../src/config/load-config.js';
import { parseYamlSource } from '../../src/config/yaml-file.js';
import { parseRules } from '../../src/rules/load.js';

const execFileAsync = promisify(execFile);

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const chartDir = join(repoRoot, 'deploy/helm/loginshare-bridge');
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/helm', `${name}.yaml`);
const FIXTURES = [
  'defaults',
  'existing-secret',
  'ingress-tls-servicemonitor-hpa',
  'redis-password',
  'redis-sentinel',
  'config-text',
  'escape-hatches',
] as const;
/** Fixtures whose config.yaml lives outside the chart: linted and rendered, but there is no file to load. */
const EXTERNAL_CONFIG_FIXTURES = ['existing-config'] as const;

/** Every secret value the fixtures put in the chart's Secret; none may appear in a ConfigMap. */
const TEST_SECRETS = [
  'TEST-corp-client-secret-6f1d2c',
  'TEST-kayako-main-key-93b7e4a1',
  'TEST-kayako-partners-key-58e0',
  'TEST-redis-password-c0ffee42',
  'TEST-sentinel-password-77aa',
  'rediss://redis-master.redis.svc.cluster.local:6380/0',
];

// ---- the parts of Kubernetes objects this test reads -------------------------------------------------------

interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  data?: Record<string, string>;
  spec?: unknown;
}
interface SecretKeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: SecretKeyRef };
}
interface ExecAction {
  exec?: { command: string[] };
}
interface HttpProbe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command: string[];
  ports: Array<{ name: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: unknown[];
  lifecycle?: { preStop?: ExecAction; postStart?: ExecAction };
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe: HttpProbe;
  livenessProbe: HttpProbe;
  readinessProbe: HttpProbe;
  volumeMounts: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    automountServiceAccountToken?: boolean;
    priorityClassName?: string;
    terminationGracePeriodSeconds?: number;
    securityContext: Record<string, unknown>;
    containers: Container[];
    volumes: Array<{
      name: string;
      configMap?: { name: string; items?: Array<{ key: string; path: string }> };
      secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
      emptyDir?: Record<string, unknown>;
    }>;
    topologySpreadConstraints?: Array<{ topologyKey: string }>;
  };
}
interface DeploymentSpec {
  replicas?: number;
  strategy?: unknown;
  template: PodTemplate;
}
interface NetworkPolicyPeer {
  namespaceSelector?: unknown;
  podSelector?: unknown;
  ipBlock?: { cidr: string };
}
interface NetworkPolicyPort {
  port: string | number;
  protocol?: string;
}
interface NetworkPolicySpec {
  policyTypes: string[];
  ingress: Array<{ ports?: NetworkPolicyPort[]; from?: NetworkPolicyPeer[] }>;
  egress: Array<{ ports?: NetworkPolicyPort[]; to?: NetworkPolicyPeer[] }>;
}

// ---- finding and running helm ------------------------------------------------------------------------------

async function runs(helm: string): Promise<boolean> {
  try {
    await execFileAsync(helm, ['version', '--short'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

async function locateHelm(): Promise<{ helm?: string; why: string[] }> {
  const why: string[] = [];
  const fromEnv = process.env.LSB_HELM;
  if (fromEnv) {
    if (await runs(fromEnv)) return { helm: fromEnv, why };
    why.push(`LSB_HELM=${fromEnv} does not run`);
  }
  try {
    const { stdout } = await execFileAsync('bash', [join(repoRoot, 'scripts/fetch-helm.sh')], { timeout: 180_000 });
    const path = stdout.trim().split('\n').pop() ?? '';
    if (path && (await runs(path))) return { helm: path, why };
    why.push(`scripts/fetch-helm.sh printed "${path}", which does not run`);
  } catch (err) {
    why.push(`scripts/fetch-helm.sh failed: ${(err as Error).message.split('\n').slice(0, 4).join(' | ')}`);
  }
  if (await runs('helm')) return { helm: 'helm', why };
  why.push('no helm on PATH');
  return { why };
}

const located = await locateHelm();
const helmBin = located.helm;
if (!helmBin && process.env.CI !== 'true') {
  console.warn(
    `\n*** SKIPPING the Helm chart tests: no Helm binary (${located.why.join('; ')}).\n` +
      '*** Run `bash scripts/fetch-helm.sh` or set LSB_HELM=/path/to/helm. With CI=true this is a failure.\n',
  );
}

interface RenderResult {
  manifests: Manifest[];
}

async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!helmBin) throw new Error('helm is not available');
  return execFileAsync(helmBin, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
}

async function render(valuesFiles: string[], chart = chartDir): Promise<RenderResult> {
  const args = ['template', 'kb', chart, '--namespace', 'helpdesk'];
  for (const file of valuesFiles) args.push('--values', file);
  const { stdout } = await helm(args);
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(stdout)) {
    if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) manifests.push(value as Manifest);
  }
  return { manifests };
}

/** helm template's error text for values that must be refused. */
async function renderError(valuesFiles: string[]): Promise<string> {
  try {
    await render(valuesFiles);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? (err as Error).message);
  }
  throw new Error('expected helm template to refuse these values, but it rendered them');
}

// ---- reading the rendered objects --------------------------------------------------------------------------

function only(result: RenderResult, kind: string, name?: string): Manifest {
  const found = result.manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}
const all = (result: RenderResult, kind: string): Manifest[] => result.manifests.filter((m) => m.kind === kind);
const deploymentOf = (result: RenderResult): DeploymentSpec => only(result, 'Deployment').spec as DeploymentSpec;
const bridgeContainer = (result: RenderResult): Container => deploymentOf(result).template.spec.containers[0]!;
const configMapsOf = (result: RenderResult): Manifest[] => all(result, 'ConfigMap');

function configYamlOf(result: RenderResult): string {
  const withConfig = configMapsOf(result).filter((cm) => cm.data?.['config.yaml'] !== undefined);
  expect(withConfig).toHaveLength(1);
  return withConfig[0]!.data!['config.yaml']!;
}

function rulesConfigMapOf(result: RenderResult): Manifest {
  const rulesVolume = deploymentOf(result).template.spec.volumes.find((v) => v.name === 'rules');
  return only(result, 'ConfigMap', rulesVolume?.configMap?.name);
}

function secretDataOf(result: RenderResult): Record<string, string> {
  const data = only(result, 'Secret').data ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** ${NAME} references in config.yaml (the bridge's env substitution syntax). */
function referencedNames(configYaml: string): string[] {
  return [...new Set([...configYaml.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))].sort();
}

function portNumber(container: Container, port: string | number): number | undefined {
  return typeof port === 'number' ? port : container.ports.find((p) => p.name === port)?.containerPort;
}

// ---- temp files --------------------------------------------------------------------------------------------

let scratch = '';
async function overlay(name: string, values: unknown): Promise<string> {
  const file = join(scratch, `${name}.yaml`);
  await writeFile(file, stringifyYaml(values));
  return file;
}

/** Maps documented as a whole in the README rather than key by key. */
const DOCUMENTED_AS_A_WHOLE = new Set([
  'strategy', 'config.server', 'config.log', 'config.cache', 'config.security',
  'rules.files', 'secrets.values', 'resources', 'probes.startup', 'probes.liveness', 'probes.readiness',
  'podSecurityContext', 'securityContext', 'autoscaling.behavior',
]);

/** Leaf keys of values.yaml (and maps documented as a whole), as dotted paths. */
function valuePaths(node: Record<string, unknown>, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const opaque = DOCUMENTED_AS_A_WHOLE.has(path) || /(Selector|[aA]nnotations|[lL]abels)$/.test(key);
    const isMap = child !== null && typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length > 0;
    if (isMap && !opaque) paths.push(...valuePaths(child as Record<string, unknown>, path));
    else paths.push(path);
  }
  return paths;
}

describe('chart README', () => {
  it('documents every value in values.yaml', async () => {
    const values = parseYaml(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const readme = await readFile(join(chartDir, 'README.md'), 'utf8');
    const paths = valuePaths(values);
    expect(paths).toContain('networkPolicy.egress.idp.ports');
    expect(paths.filter((path) => !readme.includes(`\`${path}\``))).toEqual([]);
  });
});

if (!helmBin && process.env.CI === 'true') {
  describe('helm chart', () => {
    it('needs a Helm binary under CI', () => {
      throw new Error(`no Helm binary: ${located.why.join('; ')}`);
    });
  });
}

describe.skipIf(!helmBin)('helm chart deploy/helm/loginshare-bridge', () => {
  const rendered = new Map<string, RenderResult>();
  const renderedFixture = (name: (typeof FIXTURES)[number]): RenderResult => {
    const result = rendered.get(name);
    if (!result) throw new Error(`fixture ${name} was not rendered`);
    return result;
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'lsb-helm-'));
    for (const name of FIXTURES) rendered.set(name, await render([fixture(name)]));
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it.each([...FIXTURES, ...EXTERNAL_CONFIG_FIXTURES])('helm lint --strict passes with %s', async (name) => {
    const { stdout } = await helm(['lint', '--strict', chartDir, '--values', fixture(name)]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  describe('the pod', () => {
    it('runs as uid 10001, read-only, without capabilities or privilege escalation, under RuntimeDefault seccomp', () => {
      for (const name of FIXTURES) {
        const pod = deploymentOf(renderedFixture(name)).template.spec;
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 10001,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        const container = pod.containers[0]!;
        expect(container.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 10001,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext.capabilities?.drop).toEqual(['ALL']);
        expect(container.securityContext.capabilities?.add).toBeUndefined();
        expect(pod.automountServiceAccountToken).toBe(false);
      }
      const account = only(renderedFixture('defaults'), 'ServiceAccount') as Manifest & { automountServiceAccountToken?: boolean };
      expect(account.automountServiceAccountToken).toBe(false);
    });

    it('starts the built CLI with the mounted config and names ports http 8080 and ops 9090', () => {
      const container = bridgeContainer(renderedFixture('defaults'));
      expect(container.command).toEqual(['node', '--max-semi-space-size=16', 'dist/cli/main.js', 'serve', '--config', '/etc/loginshare-bridge/config.yaml']);
      expect(container.ports).toEqual([
        expect.objectContaining({ name: 'http', containerPort: 8080 }),
        expect.objectContaining({ name: 'ops', containerPort: 9090 }),
      ]);
      expect(container.volumeMounts).toContainEqual(
        expect.objectContaining({ mountPath: '/etc/loginshare-bridge/config.yaml', subPath: 'config.yaml' }),
      );
    });

    it('probes /healthz (startup, liveness) and /readyz (readiness) on the ops port', () => {
      const container = bridgeContainer(renderedFixture('defaults'));
      expect(container.startupProbe.httpGet.path).toBe('/healthz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
        expect(portNumber(container, probe.httpGet.port)).toBe(9090);
      }
    });

    it('has resource requests and limits, a writable /tmp and a spread over nodes and zones', () => {
      const result = renderedFixture('defaults');
      const { spec } = deploymentOf(result).template;
      const container = spec.containers[0]!;
      expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
      const tmpMount = container.volumeMounts.find((m) => m.mountPath === '/tmp');
      expect(spec.volumes.find((v) => v.name === tmpMount?.name)?.emptyDir).toBeDefined();
      expect(spec.topologySpreadConstraints?.map((c) => c.topologyKey)).toEqual([
        'kubernetes.io/hostname',
        'topology.kubernetes.io/zone',
      ]);
    });

    it('mounts the rules ConfigMap as a directory, without subPath, so updates reach the running bridge', () => {
      for (const name of FIXTURES) {
        const result = renderedFixture(name);
        const mount = bridgeContainer(result).volumeMounts.find((m) => m.mountPath === '/etc/loginshare-bridge/rules');
        expect(mount).toBeDefined();
        expect(mount!.subPath).toBeUndefined();
        const rules = rulesConfigMapOf(result);
        expect(rules.data?.['main.yaml']).toContain('rules:');
      }
    });
  });

  describe('config.yaml and the rules', () => {
    it('are accepted by the bridge’s own config and rules loaders', async () => {
      for (const name of FIXTURES) {
        const result = renderedFixture(name);
        const dir = join(scratch, `loaders-${name}`);
        await mkdir(join(dir, 'rules'), { recursive: true });
        const rules = rulesConfigMapOf(result).data ?? {};
        for (const [file, text] of Object.entries(rules)) await writeFile(join(dir, 'rules', file), text);
        // Env as the pod gets it: plain values as written, the chart's Secret's values, and stand-ins for keys of
        // Secrets the operator manages.
        const configYaml = configYamlOf(result);
        const chartSecret = all(result, 'Secret').length > 0 ? secretDataOf(result) : {};
        const chartSecretName = all(result, 'Secret')[0]?.metadata.name;
        const env: Record<string, string> = {};
        for (const variable of bridgeContainer(result).env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (variable.value !== undefined) env[variable.name] = variable.value;
          else if (ref && ref.name === chartSecretName && chartSecret[ref.key] !== undefined) env[variable.name] = chartSecret[ref.key]!;
          else env[variable.name] = variable.name.endsWith('REDIS_URL') ? 'redis://127.0.0.1:6379/0' : `stand-in-value-for-${variable.name}`;
        }
        // (Read from the parsed file: a ${NAME} in a YAML comment is nothing the bridge looks up.)
        for (const name of referencedNames(stringifyYaml(parseYaml(configYaml)))) expect(env, `\${${name}} reaches the pod`).toHaveProperty(name);

        const config = validateConfig(parseYamlSource(configYaml, join(dir, 'config.yaml')), env);
        expect(config.server.port).toBe(8080);
        expect(config.ops.port).toBe(9090);
        for (const realm of config.realms) {
          const text = await readFile(realm.rulesPath, 'utf8');
          expect(() => parseRules(text, realm.rulesPath)).not.toThrow();
        }
      }
    });

    it('fills cache.redis from the redis values, keeping the other keys the operator set', () => {
      const config = parseYaml(configYamlOf(renderedFixture('redis-password'))) as { cache: { redis: unknown; groupsTtlSeconds: number } };
      expect(config.cache.redis).toEqual({ url: '${REDIS_URL}', password: '${REDIS_PASSWORD}', keyPrefix: 'kayako-bridge:' });
      expect(config.cache.groupsTtlSeconds).toBe(600);
      const defaults = parseYaml(configYamlOf(renderedFixture('defaults'))) as { cache: Record<string, unknown> };
      expect(defaults.cache.redis).toBeUndefined();
      const sentinel = parseYaml(configYamlOf(renderedFixture('redis-sentinel'))) as { cache: { redis: unknown } };
      expect(sentinel.cache.redis).toMatchObject({
        url: '${REDIS_URL}',
        sentinels: { masterName: 'mymaster', password: '${REDIS_SENTINEL_PASSWORD}' },
      });
    });
  });

  describe('secrets', () => {
    it('never land in a ConfigMap, plain or base64, and are all in the Secret', () => {
      for (const name of FIXTURES) {
        const result = renderedFixture(name);
        const configMapText = configMapsOf(result)
          .map((cm) => stringifyYaml(cm))
          .join('\n');
        expect(configMapsOf(result).length).toBeGreaterThanOrEqual(2);
        for (const secret of TEST_SECRETS) {
          expect(configMapText).not.toContain(secret);
          expect(configMapText).not.toContain(Buffer.from(secret).toString('base64'));
        }
      }
      const secrets = secretDataOf(renderedFixture('redis-password'));
      expect(secrets).toEqual({
        CORP_CLIENT_SECRET: 'TEST-corp-client-secret-6f1d2c',
        KAYAKO_MAIN_SECRET: 'TEST-kayako-main-key-93b7e4a1',
        REDIS_URL: 'rediss://redis-master.redis.svc.cluster.local:6380/0',
        REDIS_PASSWORD: 'TEST-redis-password-c0ffee42',
      });
    });

    it('reach the pod as env vars from the chart’s Secret, one per ${NAME} the config references', () => {
      for (const name of ['defaults', 'ingress-tls-servicemonitor-hpa', 'redis-password', 'escape-hatches'] as const) {
        const result = renderedFixture(name);
        const secret = only(result, 'Secret');
        const env = bridgeContainer(result).env ?? [];
        const names = referencedNames(configYamlOf(result));
        expect(names.length).toBeGreaterThan(0);
        const fromChart = env.filter((e) => e.valueFrom?.secretKeyRef?.name === secret.metadata.name);
        expect(fromChart.map((e) => e.name).sort()).toEqual(names);
        for (const variable of fromChart) {
          expect(variable.value).toBeUndefined();
          expect(variable.valueFrom?.secretKeyRef).toEqual({ name: secret.metadata.name, key: variable.name });
          expect(secret.data?.[variable.name]).toBeDefined();
        }
      }
    });

    it('with existingSecret, come from the operator’s Secret and the chart creates none', () => {
      const result = renderedFixture('existing-secret');
      expect(all(result, 'Secret')).toHaveLength(0);
      const env = bridgeContainer(result).env ?? [];
      expect(env.map((e) => e.name).sort()).toEqual(['CORP_CLIENT_SECRET', 'KAYAKO_MAIN_SECRET', 'REDIS_PASSWORD', 'REDIS_URL']);
      for (const variable of env) {
        expect(variable.valueFrom?.secretKeyRef).toEqual({ name: 'kayako-bridge-secrets', key: variable.name });
      }
      expect(deploymentOf(result).template.metadata.annotations?.['checksum/secret']).toBeUndefined();
    });

    it('refuses a secret written into the config instead of referenced', async () => {
      const literalRealmKey = await overlay('literal-realm-key', {
        config: { realms: [{ id: 'main', secret: 'a-literal-key-in-the-configmap', rules: 'rules/main.yaml', connectors: [{ use: 'corp' }] }] },
      });
      expect(await renderError([fixture('defaults'), literalRealmKey])).toMatch(/config\.realms\.0\.secret/);

      // A field the schema does not know: the render itself notices the secret's value in the config.
      const pasted = await overlay('pasted-secret', { config: { log: { audit: '/tmp/TEST-corp-client-secret-6f1d2c' } } });
      const error = await renderError([fixture('defaults'), pasted]);
      expect(error).toContain('CORP_CLIENT_SECRET appears literally');
      expect(error).not.toContain('TEST-corp-client-secret-6f1d2c');
    });

    it('refuses a config that references a secret nobody provides', async () => {
      const missing = await overlay('missing-secret', {
        config: {
          connectors: [
            { id: 'corp', type: 'oidc', issuer: 'https://idp.example.com', clientId: 'kb', clientSecret: '${NEW_IDP_SECRET}' },
          ],
        },
      });
      expect(await renderError([fixture('defaults'), missing])).toContain('config.yaml references ${NEW_IDP_SECRET}');
    });
  });

  describe('rolling the pods', () => {
    it('changes checksum/config when the config changes', async () => {
      const before = deploymentOf(renderedFixture('defaults')).template.metadata.annotations ?? {};
      const debug = await overlay('log-debug', { config: { log: { level: 'debug' } } });
      const after = deploymentOf(await render([fixture('defaults'), debug])).template.metadata.annotations ?? {};
      expect(before['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
      expect(after['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
      expect(after['checksum/config']).not.toBe(before['checksum/config']);
    });

    it('leaves the pod template untouched when only the rules change (the bridge hot-reloads them)', async () => {
      const base = renderedFixture('defaults');
      const newRules = await overlay('rules-change', {
        rules: { files: { 'main.yaml': 'defaults:\n  user: { usergroup: Enterprise, organizationtype: shared }\nrules: []\n' } },
      });
      const changed = await render([fixture('defaults'), newRules]);
      expect(rulesConfigMapOf(changed).data).not.toEqual(rulesConfigMapOf(base).data);
      expect(deploymentOf(changed).template).toEqual(deploymentOf(base).template);
    });

    it('changes checksum/secret when a secret value changes', async () => {
      const rotated = await overlay('rotated', { secrets: { values: { CORP_CLIENT_SECRET: 'TEST-rotated-client-secret-0001' } } });
      const before = deploymentOf(renderedFixture('defaults')).template.metadata.annotations ?? {};
      const after = deploymentOf(await render([fixture('defaults'), rotated])).template.metadata.annotations ?? {};
      expect(after['checksum/secret']).not.toBe(before['checksum/secret']);
      expect(after['checksum/config']).toBe(before['checksum/config']);
    });
  });

  describe('network policy', () => {
    const policyOf = (result: RenderResult): NetworkPolicySpec => only(result, 'NetworkPolicy').spec as NetworkPolicySpec;
    const rulesFor = (spec: NetworkPolicySpec, port: string) => spec.ingress.filter((r) => r.ports?.some((p) => p.port === port));

    it('limits both directions, lets only monitoring reach the ops port and allows DNS and the IdPs on 443', () => {
      const spec = policyOf(renderedFixture('defaults'));
      expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
      const ops = rulesFor(spec, 'ops');
      expect(ops).toHaveLength(1);
      expect(ops[0]!.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
      expect(rulesFor(spec, 'http')).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from: [{ ipBlock: { cidr: '198.51.100.20/32' } }] }]);
      const egressPorts = spec.egress.flatMap((r) => r.ports ?? []);
      expect(egressPorts).toContainEqual({ port: 53, protocol: 'UDP' });
      expect(egressPorts).toContainEqual({ port: 443, protocol: 'TCP' });
      expect(egressPorts.some((p) => p.port === 6379)).toBe(false);
    });

    it('admits the configured Kayako pods to the LoginShare port, and not to the ops port', () => {
      const spec = policyOf(renderedFixture('existing-secret'));
      const http = rulesFor(spec, 'http');
      expect(http).toHaveLength(1);
      expect(http[0]!.from).toEqual([
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kayako' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kayako' } },
        },
      ]);
      expect(rulesFor(spec, 'ops')[0]!.from).not.toContainEqual(http[0]!.from![0]);
      expect(spec.egress.flatMap((r) => r.ports ?? [])).toContainEqual({ port: 6379, protocol: 'TCP' });
    });

    it('admits Kayako’s CIDR and the ingress controller when an ingress is used', () => {
      const http = rulesFor(policyOf(renderedFixture('ingress-tls-servicemonitor-hpa')), 'http');
      expect(http[0]!.from).toContainEqual({ ipBlock: { cidr: '203.0.113.10/32' } });
      expect(http[0]!.from).toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } });
    });

    it('sends Redis traffic only to the configured CIDR and port', () => {
      const spec = policyOf(renderedFixture('redis-password'));
      const redis = spec.egress.find((r) => r.ports?.some((p) => p.port === 6380));
      expect(redis?.to).toEqual([{ ipBlock: { cidr: '10.96.40.0/24' } }]);
    });
  });

  describe('ingress, monitoring and scaling', () => {
    it('exposes only /loginshare over TLS through the Ingress', () => {
      const ingress = only(renderedFixture('ingress-tls-servicemonitor-hpa'), 'Ingress').spec as {
        ingressClassName: string;
        tls: Array<{ secretName: string; hosts: string[] }>;
        rules: Array<{ host: string; http: { paths: Array<{ path: string; backend: { service: { port: { name: string } } } }> } }>;
      };
      expect(ingress.ingressClassName).toBe('nginx');
      expect(ingress.tls).toEqual([{ secretName: 'kayako-sso-tls', hosts: ['kayako-sso.example.com'] }]);
      expect(ingress.rules).toHaveLength(1);
      expect(ingress.rules[0]!.host).toBe('kayako-sso.example.com');
      expect(ingress.rules[0]!.http.paths.map((p) => [p.path, p.backend.service.port.name])).toEqual([['/loginshare', 'http']]);
      expect(all(renderedFixture('defaults'), 'Ingress')).toHaveLength(0);
    });

    it('adds /signin to the Ingress when asked, and refuses a path that does not start with /', async () => {
      const signin = await overlay('ingress-signin', { ingress: { extraPaths: ['/signin'] } });
      const ingress = only(await render([fixture('ingress-tls-servicemonitor-hpa'), signin]), 'Ingress').spec as {
        rules: Array<{ http: { paths: Array<{ path: string; pathType: string; backend: { service: { port: { name: string } } } }> } }>;
      };
      expect(ingress.rules[0]!.http.paths.map((p) => [p.path, p.pathType, p.backend.service.port.name])).toEqual([
        ['/loginshare', 'Prefix', 'http'],
        ['/signin', 'Prefix', 'http'],
      ]);
      const relative = await overlay('ingress-relative', { ingress: { extraPaths: ['signin'] } });
      expect(await renderError([fixture('ingress-tls-servicemonitor-hpa'), relative])).toMatch(/extraPaths/);
    });

    it('scrapes /metrics from the ops Service only', () => {
      const result = renderedFixture('ingress-tls-servicemonitor-hpa');
      const monitor = only(result, 'ServiceMonitor');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
      const spec = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> };
      expect(spec.endpoints).toEqual([expect.objectContaining({ port: 'ops', path: '/metrics' })]);
      const selected = all(result, 'Service').filter((svc) =>
        Object.entries(spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v),
      );
      expect(selected).toHaveLength(1);
      expect((selected[0]!.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name)).toEqual(['ops']);
      expect(all(renderedFixture('defaults'), 'ServiceMonitor')).toHaveLength(0);
    });

    it('keeps the ops port off the LoginShare Service', () => {
      const services = all(renderedFixture('defaults'), 'Service');
      const loginshare = services.find((s) => s.metadata.name === 'kb-loginshare-bridge');
      expect((loginshare?.spec as { ports: Array<{ name: string; port: number }> }).ports).toEqual([
        expect.objectContaining({ name: 'http', port: 8080 }),
      ]);
    });

    it('lets the autoscaler own the replica count and keeps a disruption budget', () => {
      const result = renderedFixture('ingress-tls-servicemonitor-hpa');
      const hpa = only(result, 'HorizontalPodAutoscaler');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 8, scaleTargetRef: { kind: 'Deployment', name: 'kb-loginshare-bridge' } });
      expect(deploymentOf(result).replicas).toBeUndefined();
      expect(only(result, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
      expect(deploymentOf(renderedFixture('defaults')).replicas).toBe(1);
    });

    it('renders no disruption budget over a single replica (it would block node drains)', async () => {
      const single = await overlay('single', { replicaCount: 1 });
      expect(all(await render([fixture('defaults'), single]), 'PodDisruptionBudget')).toHaveLength(0);
    });
  });

  describe('values checking', () => {
    it('refuses a misspelt top-level key', async () => {
      const typo = await overlay('typo', { replicaCont: 3 });
      expect(await renderError([fixture('defaults'), typo])).toMatch(/replicaCont/);
    });

    it('refuses a realm whose rules file is outside the mounted rules directory', async () => {
      const outside = await overlay('rules-outside', {
        config: { realms: [{ id: 'main', secret: '${KAYAKO_MAIN_SECRET}', rules: 'rules.yaml', connectors: [{ use: 'corp' }] }] },
      });
      expect(await renderError([fixture('defaults'), outside])).toContain('outside the mounted rules directory');
    });
  });

  describe('escape hatches', () => {
    it('passes envFrom, extraEnv with valueFrom, volumes, lifecycle, strategy, annotations, labels and priority through', () => {
      const result = renderedFixture('escape-hatches');
      const deployment = only(result, 'Deployment');
      const spec = deploymentOf(result);
      const pod = spec.template;
      const container = bridgeContainer(result);
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'proxy-settings' } }]);
      expect(container.env).toContainEqual({ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/loginshare-bridge/ca/ca.crt' });
      expect(container.env).toContainEqual({ name: 'OTEL_EXPORTER_OTLP_HEADERS', valueFrom: { secretKeyRef: { name: 'otel-auth', key: 'headers' } } });
      expect(container.volumeMounts).toContainEqual({ name: 'ca', mountPath: '/etc/loginshare-bridge/ca', readOnly: true });
      expect(pod.spec.volumes).toContainEqual({ name: 'ca', configMap: { name: 'corp-ca' } });
      expect(container.lifecycle?.postStart).toEqual({ exec: { command: ['sh', '-c', 'true'] } });
      expect(container.lifecycle?.preStop).toEqual({ exec: { command: ['sleep', '15'] } });
      expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      // Reloader reads the workload's own annotations, so these go on the Deployment, not on the pods.
      expect(deployment.metadata.annotations).toEqual({ 'secret.reloader.stakater.com/reload': 'kayako-loginshare' });
      expect(pod.metadata.annotations).not.toHaveProperty('secret.reloader.stakater.com/reload');
      expect(pod.metadata.annotations).toMatchObject({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' });
      expect(pod.metadata.labels).toMatchObject({ team: 'identity', 'app.kubernetes.io/name': 'loginshare-bridge' });
      expect(pod.spec.priorityClassName).toBe('identity-critical');
      expect(pod.spec.terminationGracePeriodSeconds).toBe(60);
      expect(spec.replicas).toBe(3);
    });

    it('sleeps before SIGTERM by default, within the grace period, so a stopping pod leaves the Service first', async () => {
      const defaults = deploymentOf(renderedFixture('defaults'));
      expect(defaults.template.spec.containers[0]!.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '10'] } } });
      expect(defaults.template.spec.terminationGracePeriodSeconds).toBe(40);
      expect(defaults.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });

      const own = await overlay('own-prestop', { lifecycle: { preStop: { sleep: { seconds: 5 } } } });
      expect(bridgeContainer(await render([fixture('defaults'), own])).lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
      const none = await overlay('no-prestop', { preStopSleepSeconds: 0 });
      expect(bridgeContainer(await render([fixture('defaults'), none])).lifecycle).toBeUndefined();
      const tooLong = await overlay('prestop-too-long', { preStopSleepSeconds: 40, terminationGracePeriodSeconds: 30 });
      expect(await renderError([fixture('defaults'), tooLong])).toContain('preStopSleepSeconds (40) must be less than terminationGracePeriodSeconds (30)');
    });

    it('are checked only where a typo would be silent: top-level names and the chart’s own keys', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        ['hatch-typo', { deploymentAnnotation: { a: 'b' } }, /deploymentAnnotation/],
        ['prestop-string', { preStopSleepSeconds: '10' }, /preStopSleepSeconds/],
        ['env-without-name', { extraEnv: [{ value: 'x' }] }, /extraEnv/],
        ['envfrom-not-object', { envFrom: ['proxy-settings'] }, /envFrom/],
        ['annotation-number', { podAnnotations: { 'example.com/weight': 3 } }, /podAnnotations/],
        ['redis-secret-typo', { redis: { existingSecret: { name: 'r', urlkey: 'url' } } }, /urlkey/],
        ['from-secret-no-key', { secrets: { fromSecret: { CORP_CLIENT_SECRET: { name: 'corp' } } } }, /key/],
        ['existing-config-typo', { existingConfig: { configmap: 'x' } }, /configmap/],
        ['allow-replicas-string', { allowReplicasWithoutRedis: 'only-on-weekends' }, /allowReplicasWithoutRedis/],
        ['lifecycle-string', { lifecycle: 'sleep 10' }, /lifecycle/],
        ['strategy-string', { strategy: 'Recreate' }, /strategy/],
        ['grace-negative', { terminationGracePeriodSeconds: -1 }, /terminationGracePeriodSeconds/],
        ['config-number', { config: 42 }, /config/],
      ];
      for (const [name, values, expected] of cases) {
        const error = await renderError([fixture('defaults'), await overlay(name, values)]).catch((err: Error) => `${name}: ${err.message}`);
        expect(error, name).toMatch(expected);
      }
    });
  });

  describe('secrets from Secrets the operator manages', () => {
    it('take each ${NAME} from its own Secret and key, Redis from its own Secret, the rest from the chart’s', () => {
      const result = renderedFixture('config-text');
      const env = bridgeContainer(result).env ?? [];
      const refOf = (name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      expect(refOf('KAYAKO_MAIN_SECRET')).toEqual({ name: 'kayako-loginshare', key: 'main-key' });
      expect(refOf('LOGINSHARE_REDIS_URL')).toEqual({ name: 'redis-auth', key: 'redis-url' });
      expect(refOf('LOGINSHARE_REDIS_PASSWORD')).toEqual({ name: 'redis-auth', key: 'redis-password' });
      expect(refOf('CORP_CLIENT_SECRET')).toEqual({ name: 'kb-loginshare-bridge', key: 'CORP_CLIENT_SECRET' });
      expect(secretDataOf(result)).toEqual({ CORP_CLIENT_SECRET: 'TEST-corp-client-secret-6f1d2c' });
      // A ${NAME} only inside a YAML comment is not something the bridge will look up.
      expect(env.map((e) => e.name)).not.toContain('RETIRED_IDP_SECRET');
    });

    it('take the Redis URL and password of the map config from Redis’s own Secret, keeping them out of the chart’s', async () => {
      const redis = await overlay('redis-own-secret', {
        redis: { enabled: true, existingSecret: { name: 'redis-auth', urlKey: 'redis-url', passwordKey: 'redis-password' } },
      });
      const result = await render([fixture('defaults'), redis]);
      const config = parseYaml(configYamlOf(result)) as { cache: { redis: Record<string, unknown> } };
      expect(config.cache.redis).toEqual({ url: '${REDIS_URL}', password: '${REDIS_PASSWORD}' });
      const env = bridgeContainer(result).env ?? [];
      expect(env).toContainEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'redis-url' } } });
      expect(env).toContainEqual({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'redis-password' } } });
      expect(Object.keys(secretDataOf(result)).sort()).toEqual(['CORP_CLIENT_SECRET', 'KAYAKO_MAIN_SECRET']);
    });

    it('give an LDAP bind password (or any connector secret) from a Secret key', async () => {
      const ldap = await overlay('ldap-bind', {
        config: {
          connectors: [
            { id: 'corp', type: 'oidc', issuer: 'https://idp.example.com/realms/corp', clientId: 'kayako-bridge', clientSecret: '${CORP_CLIENT_SECRET}' },
            { id: 'ad', type: 'ldap', directory: 'active-directory', urls: ['ldaps://dc.example.com'], serviceAccount: { dn: 'CN=svc-kayako,OU=Service,DC=example,DC=com', password: '${LDAP_BIND_PASSWORD}' }, userSearch: { base: 'DC=example,DC=com' } },
          ],
        },
        secrets: { fromSecret: { LDAP_BIND_PASSWORD: { name: 'ldap-bind', key: 'password' } } },
      });
      const env = bridgeContainer(await render([fixture('defaults'), ldap])).env ?? [];
      expect(env).toContainEqual({ name: 'LDAP_BIND_PASSWORD', valueFrom: { secretKeyRef: { name: 'ldap-bind', key: 'password' } } });
    });

    it('name the ways to provide a missing one, and refuse a name or a Redis setting given twice', async () => {
      const missing = await overlay('missing-bind', {
        config: { connectors: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.com', clientId: 'kb', clientSecret: '${LDAP_BIND_PASSWORD}' }] },
      });
      expect(await renderError([fixture('defaults'), missing])).toContain('secrets.fromSecret.LDAP_BIND_PASSWORD: { name, key }');
      const twice = await overlay('twice', { secrets: { fromSecret: { CORP_CLIENT_SECRET: { name: 'corp', key: 'secret' } } } });
      expect(await renderError([fixture('defaults'), twice])).toContain('CORP_CLIENT_SECRET is in both secrets.values and secrets.fromSecret');
      const redisTwice = await overlay('redis-twice', { redis: { existingSecret: { name: 'redis-auth', urlKey: 'url' } } });
      expect(await renderError([fixture('redis-password'), redisTwice])).toContain('redis.url and redis.existingSecret.urlKey are both set');
      const noKeys = await overlay('redis-no-keys', { redis: { existingSecret: { name: 'redis-auth' } } });
      expect(await renderError([fixture('redis-password'), noKeys])).toContain('redis.existingSecret.name needs urlKey and/or passwordKey');
    });

    it('roll the pods through checksum/secret only for the chart’s own Secret', async () => {
      expect(deploymentOf(renderedFixture('config-text')).template.metadata.annotations?.['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
      const allExternal = await overlay('all-external', {
        secrets: { values: null, fromSecret: { CORP_CLIENT_SECRET: { name: 'corp-oidc', key: 'client-secret' } } },
      });
      const result = await render([fixture('config-text'), allExternal]);
      expect(all(result, 'Secret')).toHaveLength(0);
      expect(deploymentOf(result).template.metadata.annotations?.['checksum/secret']).toBeUndefined();
    });
  });

  describe('config as text, or from an object the operator manages', () => {
    it('keeps a text config exactly as written, and sets host, ports and Redis through LOGINSHARE_* variables', async () => {
      const given = (parseYaml(await readFile(fixture('config-text'), 'utf8')) as { config: string }).config;
      const result = renderedFixture('config-text');
      expect(configYamlOf(result)).toBe(given);
      const env = bridgeContainer(result).env ?? [];
      expect(env).toEqual(
        expect.arrayContaining([
          { name: 'LOGINSHARE_HOST', value: '0.0.0.0' },
          { name: 'LOGINSHARE_PORT', value: '8080' },
          { name: 'LOGINSHARE_OPS_HOST', value: '0.0.0.0' },
          { name: 'LOGINSHARE_OPS_PORT', value: '9090' },
        ]),
      );
      // The map form still rewrites the file and needs none of them.
      expect((bridgeContainer(renderedFixture('defaults')).env ?? []).map((e) => e.name)).not.toContain('LOGINSHARE_PORT');
    });

    it('refuses a text config with a secret written into it', async () => {
      const given = (parseYaml(await readFile(fixture('config-text'), 'utf8')) as { config: string }).config;
      const literal = await overlay('text-literal', { config: given.replace('${CORP_CLIENT_SECRET}', 'an-inline-client-secret') });
      expect(await renderError([fixture('config-text'), literal])).toContain('connectors[0].clientSecret must be a ${NAME} reference');
      const ldapAccount = given.replace(
        '\nserver:\n',
        '\n  - id: dir\n    type: ldap\n    urls: [ldaps://ldap.example.com]\n    serviceAccount: { dn: "cn=svc,dc=example,dc=com", password: an-inline-bind-password }\nserver:\n',
      );
      expect(ldapAccount).toContain('an-inline-bind-password');
      const ldapLiteral = await overlay('text-ldap-literal', { config: ldapAccount });
      expect(await renderError([fixture('config-text'), ldapLiteral])).toContain('connectors[1].serviceAccount.password must be a ${NAME} reference');
      const pasted = await overlay('text-pasted', { config: `${given}# TEST-corp-client-secret-6f1d2c\n` });
      expect(await renderError([fixture('config-text'), pasted])).toContain('CORP_CLIENT_SECRET appears literally');
      const broken = await overlay('text-broken', { config: 'realms: [\n' });
      expect(await renderError([fixture('config-text'), broken])).toContain('config is not valid YAML');
    });

    it('mounts a config.yaml from the operator’s Secret or ConfigMap and renders none of its own', async () => {
      const result = await render([fixture('existing-config')]);
      expect(configMapsOf(result).filter((cm) => cm.data?.['config.yaml'] !== undefined)).toHaveLength(0);
      const pod = deploymentOf(result).template;
      expect(pod.spec.volumes.find((v) => v.name === 'config')).toEqual({
        name: 'config',
        secret: { secretName: 'kb-config', items: [{ key: 'bridge.yaml', path: 'config.yaml' }] },
      });
      expect(pod.metadata.annotations?.['checksum/config']).toBeUndefined();
      const container = pod.spec.containers[0]!;
      // The chart cannot see which ${NAME}s that file uses: the whole Secret becomes the pod's environment.
      expect(container.envFrom).toEqual([{ secretRef: { name: 'kayako-bridge-secrets' } }]);
      expect(container.env).toContainEqual({ name: 'LOGINSHARE_PORT', value: '8080' });
      expect(container.env).toContainEqual({
        name: 'LOGINSHARE_REDIS_URL',
        valueFrom: { secretKeyRef: { name: 'kayako-bridge-secrets', key: 'REDIS_URL' } },
      });

      const fromConfigMap = await overlay('config-from-configmap', { existingConfig: { secret: '', configMap: 'kb-config', key: 'config.yaml' } });
      const volume = deploymentOf(await render([fixture('existing-config'), fromConfigMap])).template.spec.volumes.find((v) => v.name === 'config');
      expect(volume?.configMap).toEqual({ name: 'kb-config', items: [{ key: 'config.yaml', path: 'config.yaml' }] });
      const both = await overlay('config-from-both', { existingConfig: { configMap: 'kb-config' } });
      expect(await renderError([fixture('existing-config'), both])).toContain('existingConfig.configMap and existingConfig.secret are both set');
    });
  });

  describe('defaults that fail loudly instead of quietly', () => {
    it('refuses a NetworkPolicy that admits nobody to the LoginShare port', async () => {
      const nobody = await overlay('nobody', { networkPolicy: { kayako: { cidrs: [] } } });
      expect(await renderError([fixture('defaults'), nobody])).toContain('networkPolicy: nothing may reach the LoginShare port');
      const own = await overlay('own-rule', {
        networkPolicy: { kayako: { cidrs: [] }, extraIngress: [{ ports: [{ port: 'http' }], from: [{ ipBlock: { cidr: '192.0.2.0/24' } }] }] },
      });
      expect(only(await render([fixture('defaults'), own]), 'NetworkPolicy')).toBeDefined();
      const off = await overlay('no-policy', { networkPolicy: { enabled: false, kayako: { cidrs: [] } } });
      expect(all(await render([fixture('defaults'), off]), 'NetworkPolicy')).toHaveLength(0);
    });

    it('refuses several replicas or an autoscaler without Redis unless per-replica counters are accepted', async () => {
      const two = await overlay('two-replicas', { replicaCount: 2 });
      expect(await renderError([fixture('defaults'), two])).toContain('more than one replica');
      const hpa = await overlay('hpa-no-redis', { autoscaling: { enabled: true } });
      expect(await renderError([fixture('defaults'), hpa])).toContain('more than one replica');
      const accepted = await overlay('two-accepted', { replicaCount: 2, allowReplicasWithoutRedis: true });
      expect(deploymentOf(await render([fixture('defaults'), accepted])).replicas).toBe(2);
    });
  });

  describe('NOTES.txt', () => {
    // helm template does not print NOTES.txt; a copy of the chart with one extra template that includes the
    // real NOTES.txt renders its text.
    async function notes(valuesFiles: string[]): Promise<string> {
      const copy = join(scratch, `chart-${Math.random().toString(36).slice(2)}`);
      await cp(chartDir, copy, { recursive: true });
      await writeFile(
        join(copy, 'templates', 'zz-notes-preview.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes-preview }\n' +
          'data:\n  notes: {{ include (print $.Template.BasePath "/NOTES.txt") . | toJson }}\n',
      );
      const result = await render(valuesFiles, copy);
      return only(result, 'ConfigMap', 'notes-preview').data!['notes']!;
    }

    it('gives Kayako’s User and Staff LoginShare URLs per realm, and never the key itself', async () => {
      const text = await notes([fixture('ingress-tls-servicemonitor-hpa')]);
      expect(text).toContain('https://kayako-sso.example.com/loginshare/main/user?key=<KEY>');
      expect(text).toContain('https://kayako-sso.example.com/loginshare/main/staff?key=<KEY>');
      expect(text).toContain('https://kayako-sso.example.com/loginshare/partners/user?key=<KEY>');
      expect(text).toContain("-o jsonpath='{.data.KAYAKO_PARTNERS_SECRET}'");
      for (const secret of TEST_SECRETS) expect(text).not.toContain(secret);
      expect(text).toContain('Admin CP');
      expect(text).not.toContain('WARNING');
    });

    it('names the realm key’s own Secret and key, and explains the URLs for a config the chart does not render', async () => {
      const text = await notes([fixture('config-text')]);
      expect(text).toContain("get secret kayako-loginshare -o jsonpath='{.data.main-key}'");
      const external = await notes([fixture('existing-config')]);
      expect(external).toContain('The config comes from Secret kb-config');
      expect(external).toContain('/loginshare/<id>/staff?key=<KEY>');
    });

    it('warns about an open Admin CP and about replicas without Redis', async () => {
      const admin = await overlay('allow-admin', {
        config: {
          realms: [
            {
              id: 'main',
              secret: '${KAYAKO_MAIN_SECRET}',
              rules: 'rules/main.yaml',
              staff: { allowAdmin: true },
              connectors: [{ use: 'corp' }],
            },
          ],
        },
      });
      const text = await notes([fixture('defaults'), admin]);
      expect(text).toContain('http://kb-loginshare-bridge.helpdesk.svc.cluster.local:8080/loginshare/main/staff?key=<KEY>');
      expect(text).toMatch(/WARNING: realm main sets staff\.allowAdmin: true/);
      expect(text).not.toMatch(/more than one replica/);
      expect(await notes([fixture('escape-hatches')])).toMatch(/WARNING: more than one replica without Redis/);
    });
  });
});
