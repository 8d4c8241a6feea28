import { readFileSync } from 'node:fs';

/**
 * The bridge's own version, for `--version`, the start-up log line and the `loginshare_build_info` metric.
 * It is read from the package.json that ships beside `src/` and `dist/` (the image copies it to /app), so a
 * release changes one file and every place agrees.
 */
export interface BuildInfo {
  /** package.json `version`, e.g. 0.1.0 */
  version: string;
  /** The Node.js running the bridge, e.g. v24.22.3 */
  node: string;
}

function readPackageVersion(): string {
  // src/observability/ and dist/observability/ are both two levels below the package root.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  const version = (parsed as { version?: unknown }).version;
  if (typeof version !== 'string' || version === '') throw new Error('package.json has no version');
  return version;
}

export const BUILD_INFO: BuildInfo = Object.freeze({ version: readPackageVersion(), node: process.version });
