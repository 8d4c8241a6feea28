import { createInterface } from 'node:readline';
import type { CliIO } from './cli-io.js';

/**
 * Passwords never come from argv (visible in `ps` and shell history): from an environment variable named by
 * the caller, from stdin, or from a prompt on a terminal (echo off).
 */
export async function readSecret(
  io: CliIO,
  source: { env?: string | undefined; stdin?: boolean | undefined },
  prompt: string,
): Promise<string | undefined> {
  if (source.env) return io.env[source.env];
  const stdin = io.stdin as NodeJS.ReadStream;
  if (source.stdin || !stdin.isTTY) return readAll(io.stdin);
  return promptHidden(io, prompt);
}

/** All of a stream as text, less one final line break. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text.replace(/\r?\n$/, '');
}

function promptHidden(io: CliIO, prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: io.stdin, output: process.stderr, terminal: true });
    io.stderr.write(prompt);
    // Suppress echo: readline writes typed characters through _writeToOutput.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      io.stderr.write('\n');
      resolve(answer);
    });
  });
}
