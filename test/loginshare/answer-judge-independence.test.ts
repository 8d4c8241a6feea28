import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The probe (src/probe) judges the renderer's answers as Kayako would; a judge that shares code with what it
 * judges (an escaping helper, the builder, a list of element names) would share its mistakes too. So the probe
 * imports only its own modules and Node's built-ins, and the renderer imports nothing from the probe.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROBE = join(ROOT, 'src/probe');
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => match[1]!);
}

describe('the LoginShare judge shares no code with the renderer', () => {
  const probeFiles = readdirSync(PROBE).filter((name) => name.endsWith('.ts'));

  it('finds the probe modules', () => {
    expect(probeFiles).toEqual(expect.arrayContaining(['simplexml.ts', 'kayako-judge.ts', 'kayako-answer.ts']));
  });

  it('src/probe imports only its own modules and Node built-ins', () => {
    const outside: string[] = [];
    for (const name of probeFiles) {
      for (const specifier of importsOf(join(PROBE, name))) {
        if (specifier.startsWith('node:')) continue;
        const target = specifier.startsWith('.') ? resolve(PROBE, specifier) : undefined;
        if (target !== undefined && relative(PROBE, dirname(target)) === '') continue;
        outside.push(`${name} → ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('the renderer imports nothing from the probe', () => {
    const renderer = importsOf(join(ROOT, 'src/loginshare/answer.ts'));
    expect(renderer).toContain('xmlbuilder2');
    expect(renderer.filter((specifier) => specifier.includes('probe'))).toEqual([]);
  });
});
