import { readFile, writeFile } from 'node:fs/promises';

export const RESULTS_START = '<!-- RESULTS -->';
export const RESULTS_END = '<!-- /RESULTS -->';

/**
 * Writes `block` to `file`; when the file already holds the two markers, only what lies between them is replaced,
 * so `--markdown docs/benchmarks.md` puts one run's results into the docs and leaves the prose alone. Other
 * commands (the soak) pass markers of their own.
 */
export async function writeMarkdown(file: string, block: string, [startMarker, endMarker]: readonly [string, string] = [RESULTS_START, RESULTS_END]): Promise<void> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  const start = existing?.indexOf(startMarker) ?? -1;
  const end = existing?.indexOf(endMarker) ?? -1;
  if (existing === undefined || start < 0 || end < start) {
    await writeFile(file, block);
    return;
  }
  const before = existing.slice(0, start + startMarker.length);
  await writeFile(file, `${before}\n${block.trimEnd()}\n${existing.slice(end)}`);
}
