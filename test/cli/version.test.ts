/**
 * One version everywhere: `version` / `--version`, the start-up log line, the loginshare_build_info metric and
 * the Helm chart's appVersion all say what package.json says.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runVersion } from '../../src/cli/version.js';
import { BUILD_INFO } from '../../src/observability/build-info.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { runCli } from '../support/cli-runner.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const packageVersion = async (): Promise<string> =>
  (JSON.parse(await readFile(`${repoRoot}/package.json`, 'utf8')) as { version: string }).version;

describe('the bridge version', () => {
  it('is package.json’s version and the running Node’s', async () => {
    expect(BUILD_INFO.version).toBe(await packageVersion());
    expect(BUILD_INFO.node).toBe(process.version);
  });

  it('is printed by `version`, and as JSON with --json', async () => {
    const plain = await runCli(runVersion, []);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`loginshare-bridge ${await packageVersion()} (node ${process.version})\n`);
    const json = await runCli(runVersion, ['--json']);
    expect(JSON.parse(json.stdout)).toEqual({ version: await packageVersion(), node: process.version });
  });

  it('refuses an argument it does not know', async () => {
    const { code, stderr } = await runCli(runVersion, ['--verbose']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown argument "--verbose"');
  });

  it('is exported as loginshare_build_info{version,node} 1', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE loginshare_build_info gauge');
    expect(text).toContain(`loginshare_build_info{version="${await packageVersion()}",node="${process.version}"} 1`);
  });

  it('is the Helm chart’s appVersion (the default image tag)', async () => {
    const chart = parseYaml(await readFile(`${repoRoot}/deploy/helm/loginshare-bridge/Chart.yaml`, 'utf8')) as { appVersion: unknown };
    expect(String(chart.appVersion)).toBe(await packageVersion());
  });
});
