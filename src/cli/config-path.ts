import { fileURLToPath } from 'node:url';

/** The demo config shipped with the package: local accounts and example rules, no network needed. */
export const DEMO_CONFIG_PATH = fileURLToPath(new URL('../../examples/demo/config.yaml', import.meta.url));

/** `--config`, else LOGINSHARE_CONFIG, else the embedded demo. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): { path: string; demo: boolean } {
  const path = flag ?? env['LOGINSHARE_CONFIG'];
  return path ? { path, demo: false } : { path: DEMO_CONFIG_PATH, demo: true };
}
