#!/usr/bin/env node
import type { CliCommand } from './cli-io.js';
import { endQuietlyOnClosedPipe, processIO, usageErrorText } from './cli-io.js';
import { runCheck } from './check.js';
import { closest } from '../config/issue-wording.js';
import { runExplain } from './explain.js';
import { runHashPassword } from './hash-password.js';
import { runServe } from './serve.js';
import { runVersion } from './version.js';

const COMMANDS: Record<string, { run: () => Promise<CliCommand>; summary: string }> = {
  serve: { run: async () => runServe, summary: 'start the gateway (the embedded demo without a config)' },
  check: { run: async () => runCheck, summary: 'validate the config and rules files' },
  explain: { run: async () => runExplain, summary: 'dry-run the rules for an identity and print the XML Kayako gets' },
  probe: { run: async () => (await import('./probe.js')).runProbe, summary: 'act as Kayako against a LoginShare URL' },
  test: { run: async () => (await import('./test-rules.js')).runTestRules, summary: 'run rule tests (identities and expected outcomes) against a rules file' },
  diff: { run: async () => (await import('./diff.js')).runDiff, summary: 'preview whose Kayako answer a rules change would change' },
  'hash-password': { run: async () => runHashPassword, summary: 'make a passwordHash for a local account' },
  version: { run: async () => runVersion, summary: 'print the version (also --version)' },
  unlock: { run: async () => (await import('./unlock.js')).runUnlock, summary: 'clear the lockout of a username (--realm ID USERNAME)' },
  lockouts: { run: async () => (await import('./lockouts.js')).runLockouts, summary: 'list who is locked out now' },
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `Usage: loginshare-bridge <command> [options]   (each command has --help)\n\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...args] = argv;
  const name = first === '--version' || first === '-V' ? 'version' : first;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    processIO.stdout.write(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = closest(name, Object.keys(COMMANDS));
    processIO.stderr.write(`loginshare-bridge: unknown command "${name}"${near ? ` — did you mean "${near}"?` : ''}\n\n${help()}`);
    return 2;
  }
  try {
    return await (await command.run())(args, processIO);
  } catch (err) {
    // parseArgs throws on unknown flags: a usage error, not a crash.
    processIO.stderr.write(`loginshare-bridge ${name}: ${usageErrorText(name, err)}\n`);
    return 2;
  }
}

endQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
