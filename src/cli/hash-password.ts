import { parseArgs } from 'node:util';
import { hashPassword } from '../connectors/local/password-hash.js';
import type { CliCommand } from './cli-io.js';
import { readSecret } from './read-secret.js';

const HELP = `Usage: loginshare-bridge hash-password [--password-env VAR | --password-stdin]

Prints a scrypt hash for a local account's passwordHash in the config file.
The password is read from a prompt (on a terminal), from stdin, or from the
environment variable VAR — never from the command line.

  echo -n 'correct horse' | loginshare-bridge hash-password --password-stdin
`;

export const runHashPassword: CliCommand = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: { 'password-env': { type: 'string' }, 'password-stdin': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const password = await readSecret(io, { env: values['password-env'], stdin: values['password-stdin'] }, 'Password: ');
  if (!password) {
    io.stderr.write('hash-password: no password given (empty or unset)\n');
    return 2;
  }
  if (password.includes('\0')) {
    io.stderr.write('hash-password: the password contains a NUL character, which no login can send\n');
    return 2;
  }
  if (password.length < 12) io.stderr.write('hash-password: warning: fewer than 12 characters is weak for a break-glass account\n');
  io.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
};
