import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory for one server instance: config, data and log live and die with it. */
export async function makeServerDir(server: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `lsb-${server}-`));
}

export async function removeServerDir(dir: string): Promise<void> {
  // LSB_KEEP_SERVER_DIRS=1 keeps config, data and logs for a post-mortem.
  if (process.env.LSB_KEEP_SERVER_DIRS === '1') return;
  await rm(dir, { recursive: true, force: true });
}
