import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

/**
 * The nearest package.json named loginshare-bridge above this module: src/ and dist/ sit two levels below the package
 * root, but a build into another directory (a test's scratch build, a bundler's output) must still find it.
 */
function readPackageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = new URL('package.json', dir);
    if (existsSync(candidate)) {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === 'loginshare-bridge') {
        if (typeof parsed.version !== 'string' || parsed.version === '') throw new Error(`${fileURLToPath(candidate)} has no version`);
        return parsed.version;
      }
    }
    if (new URL('..', dir).href === dir.href) throw new Error('no package.json of loginshare-bridge above ' + fileURLToPath(import.meta.url));
  }
}

export const BUILD_INFO: BuildInfo = Object.freeze({ version: readPackageVersion(), node: process.version });
