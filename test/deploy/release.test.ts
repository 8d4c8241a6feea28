/**
 * The image recipe and the release workflow, checked without Docker or GitHub (neither runs here): the base
 * is pinned by digest, the image carries OCI labels, runs as a non-root uid and lets node receive the stop
 * signal; the workflow is valid YAML that builds both architectures from deploy/Dockerfile, checks that the
 * tag and the versions agree before publishing, and packages and pushes the chart. actionlint, when it is on
 * PATH (or LSB_ACTIONLINT names it), lints the workflow as GitHub would read it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const workflowPath = `${repoRoot}.github/workflows/release.yml`;

/** Dockerfile instructions with their continuation lines joined, comments dropped. */
async function dockerInstructions(): Promise<string[]> {
  const text = await readFile(`${repoRoot}deploy/Dockerfile`, 'utf8');
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const packageVersion = async (): Promise<string> =>
  (JSON.parse(await readFile(`${repoRoot}package.json`, 'utf8')) as { version: string }).version;

describe('deploy/Dockerfile', () => {
  it('builds every stage on a Node 24 base pinned by its sha256 digest', async () => {
    const lines = await dockerInstructions();
    const base = lines.find((line) => line.startsWith('ARG NODE_IMAGE='));
    expect(base).toMatch(/^ARG NODE_IMAGE=node:24-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
    const froms = lines.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS \S+$/);
  });

  it('labels the image the OCI way, with the version package.json gives by default', async () => {
    const lines = await dockerInstructions();
    expect(lines).toContain(`ARG VERSION=${await packageVersion()}`);
    const labels = lines.filter((line) => line.startsWith('LABEL ')).join(' ');
    for (const key of ['title', 'description', 'version', 'revision', 'created', 'licenses', 'base.name']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    expect(labels).toContain('org.opencontainers.image.version="${VERSION}"');
    expect(labels).toContain('org.opencontainers.image.licenses="Apache-2.0"');
  });

  it('runs as the numeric non-root uid the chart expects, with node receiving SIGTERM directly', async () => {
    const lines = await dockerInstructions();
    const runtimeStart = lines.findIndex((line) => / AS runtime$/.test(line));
    const user = lines.slice(runtimeStart).filter((line) => line.startsWith('USER '));
    expect(user).toEqual(['USER 10001:10001']);
    const chart = await readFile(`${repoRoot}deploy/helm/loginshare-bridge/values.yaml`, 'utf8');
    expect(chart).toMatch(/runAsUser: 10001/);
    expect(lines).toContain('STOPSIGNAL SIGTERM');
    // Exec form: a shell-form ENTRYPOINT would make /bin/sh PID 1, and sh does not pass SIGTERM on.
    const entrypoint = lines.find((line) => line.startsWith('ENTRYPOINT '));
    expect(JSON.parse(entrypoint!.slice('ENTRYPOINT '.length))).toEqual(['node', '--max-semi-space-size=16', 'dist/cli/main.js']);
  });

  it('starts node with the flags the benchmark measures the pod with', async () => {
    // bench/ is compiled apart from the tests: its IMAGE_NODE_FLAGS is read as text.
    const bench = await readFile(`${repoRoot}bench/pod-heap.ts`, 'utf8');
    const flags = JSON.parse(/IMAGE_NODE_FLAGS: readonly string\[\] = (\[[^\]]*\])/.exec(bench)![1]!.replaceAll("'", '"')) as string[];
    const lines = await dockerInstructions();
    const entrypoint = JSON.parse(lines.find((line) => line.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length)) as string[];
    expect(entrypoint.slice(1, -1)).toEqual(flags);
    const deployment = await readFile(`${repoRoot}deploy/helm/loginshare-bridge/templates/deployment.yaml`, 'utf8');
    expect(deployment).toContain(`command: ["node", ${flags.map((f) => `"${f}"`).join(', ')}, "dist/cli/main.js"`);
  });

  it('sets the allocator environment the benchmark measures the pod with', async () => {
    const bench = await readFile(`${repoRoot}bench/pod-heap.ts`, 'utf8');
    const block = /IMAGE_ENV: Readonly<Record<string, string>> = \{([^}]*)\}/.exec(bench)![1]!;
    const env = [...block.matchAll(/([A-Z_]+): '([^']*)'/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(env.length).toBeGreaterThan(0);
    const lines = await dockerInstructions();
    for (const setting of env) expect(lines).toContain(`ENV ${setting}`);
  });
});

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push?: { tags?: string[] }; workflow_dispatch?: unknown };
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

// LSB_ACTIONLINT, else actionlint on PATH, else the one scripts/install-test-deps.sh builds into the cache.
const cachedActionlint = join(process.env.LSB_CACHE_DIR ?? join(homedir(), '.cache', 'loginshare-bridge'), 'bin', 'actionlint');
const actionlintCandidates = process.env.LSB_ACTIONLINT ? [process.env.LSB_ACTIONLINT] : ['actionlint', cachedActionlint];
let actionlint = actionlintCandidates[0]!;
let haveActionlint = false;
for (const candidate of actionlintCandidates) {
  haveActionlint = await execFileAsync(candidate, ['-version']).then(
    () => true,
    () => false,
  );
  if (haveActionlint) {
    actionlint = candidate;
    break;
  }
}
if (!haveActionlint) {
  console.warn(
    '\n*** SKIPPING actionlint on release.yml: no actionlint on PATH or in the cache (scripts/install-test-deps.sh builds it\n' +
      '*** with Go; or set LSB_ACTIONLINT=/path/to/actionlint). The YAML and structure checks above still ran.\n',
  );
}
describe('.github/workflows/release.yml', () => {
  const load = async (): Promise<Workflow> => parseYaml(await readFile(workflowPath, 'utf8')) as Workflow;
  const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));

  it('runs on version tags with read-only rights, widening them only for the jobs that publish', async () => {
    const workflow = await load();
    expect(workflow.on.push?.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+*']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (job.permissions?.packages === 'write') expect(needsOf(job), `${name} publishes only after verify`).toContain('verify');
    }
  });

  it('refuses to publish unless the tag, package.json and the chart’s appVersion agree, and the tests pass', async () => {
    const { verify } = (await load()).jobs;
    const script = verify!.steps.map((s) => s.run ?? '').join('\n');
    expect(script).toContain('require("./package.json").version');
    expect(script).toContain('appVersion');
    expect(script).toMatch(/\$TAG/);
    expect(script).toContain('npm test');
  });

  it('builds linux/amd64 and linux/arm64 from deploy/Dockerfile with the version as a build argument', async () => {
    const { image } = (await load()).jobs;
    const build = image!.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toMatchObject({ context: '.', file: 'deploy/Dockerfile', platforms: 'linux/amd64,linux/arm64', push: true });
    expect(String(build?.with?.['build-args'])).toMatch(/^VERSION=\$\{\{ needs\.verify\.outputs\.version \}\}$/m);
    expect(image!.steps.some((s) => s.uses?.startsWith('docker/setup-qemu-action@'))).toBe(true);
    // Every build argument it passes is one the Dockerfile declares.
    const declared = (await dockerInstructions()).filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).split('=')[0]);
    for (const arg of String(build?.with?.['build-args']).trim().split('\n').map((l) => l.trim().split('=')[0])) {
      expect(declared).toContain(arg);
    }
  });

  it('lints, packages and pushes the chart with the release’s appVersion', async () => {
    const { chart } = (await load()).jobs;
    const script = chart!.steps.map((s) => s.run ?? '').join('\n');
    expect(script).toContain('helm lint --strict deploy/helm/loginshare-bridge');
    expect(script).toMatch(/helm package deploy\/helm\/loginshare-bridge .*--app-version "\$VERSION"/);
    expect(script).toContain('helm push');
    expect(needsOf(chart!)).toEqual(expect.arrayContaining(['verify', 'image']));
  });

  it.skipIf(!haveActionlint)('passes actionlint', async () => {
    const { stdout, stderr } = await execFileAsync(actionlint, ['-no-color', workflowPath], { cwd: repoRoot, timeout: 60_000 }).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) }),
    );
    expect(`${stdout}${stderr}`).toBe('');
  });
});
