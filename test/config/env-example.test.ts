/**
 * .env.example lists every variable the documentation tells people to set: each ${NAME} in the README, the
 * provider guides and their connector.yaml files appears there under the same name, so following a guide with
 * .env.example at hand never leaves a variable to rename.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** ${NAME} and ${NAME:-fallback} references in a text; ${NAME} itself is the README's placeholder. */
function referencedVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::-[^}]*)?\}/g)].map((m) => m[1]!).filter((name) => name !== 'NAME');
}

async function documentedFiles(): Promise<string[]> {
  const files = [`${repoRoot}README.md`];
  for (const provider of await readdir(`${repoRoot}providers`)) {
    for (const file of await readdir(`${repoRoot}providers/${provider}`)) {
      if (/\.(md|ya?ml)$/.test(file)) files.push(`${repoRoot}providers/${provider}/${file}`);
    }
  }
  return files;
}

describe('.env.example', () => {
  it('names every variable the README and the provider guides reference, as they spell it', async () => {
    const example = await readFile(`${repoRoot}.env.example`, 'utf8');
    // A line such as `NAME=` or `# NAME=` documents NAME.
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    const missing: string[] = [];
    for (const file of await documentedFiles()) {
      for (const name of referencedVariables(await readFile(file, 'utf8'))) {
        if (!listed.has(name)) missing.push(`${name} (${file.slice(repoRoot.length)})`);
      }
    }
    expect(listed.size).toBeGreaterThan(5);
    expect([...new Set(missing)]).toEqual([]);
  });
});
