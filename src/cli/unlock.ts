import { parseArgs } from 'node:util';
import type { CliCommand } from './cli-io.js';
import { describe } from './check.js';
import { LockoutAccessError, OPS_TOKEN_VARIABLE, openLockoutAccess } from './lockout-access.js';

const HELP = `Usage: loginshare-bridge unlock --realm ID [--config FILE | --ops-url URL] USERNAME

Clears the bridge's lockout of USERNAME in realm ID (after too many wrong
passwords), and the failures counted towards the next one. Writes an audit line.

  --config FILE   the bridge's config: the lockout is cleared in its Redis (cache.redis),
                  for every replica at once
  --ops-url URL   a running bridge's ops port, e.g. http://10.0.3.7:9090, with its
                  ops.adminToken in ${OPS_TOKEN_VARIABLE}: the way to reach lockouts
                  a replica keeps in memory (no cache.redis)
Exit code 0 = it was locked and is cleared; 1 = it was not locked; 2 = error.
`;

export const runUnlock: CliCommand = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { realm: { type: 'string' }, config: { type: 'string', short: 'c' }, 'ops-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (!values.realm) return usage(io, 'unlock: --realm ID is required (the realm the username is locked in)');
  if (positionals.length !== 1 || !positionals[0]!.trim()) return usage(io, 'unlock: give exactly one USERNAME');
  const username = positionals[0]!;
  let access;
  try {
    access = await openLockoutAccess({ config: values.config, opsUrl: values['ops-url'] }, io);
  } catch (err) {
    io.stderr.write(`unlock: ${err instanceof LockoutAccessError ? err.message : describe(err)}\n`);
    return 2;
  }
  try {
    const wasLocked = await access.unlock(values.realm, username);
    io.stdout.write(
      wasLocked
        ? `unlocked ${username} in realm ${values.realm} (${access.where})\n`
        : `${username} was not locked in realm ${values.realm} (${access.where}); nothing to clear\n`,
    );
    return wasLocked ? 0 : 1;
  } catch (err) {
    io.stderr.write(`unlock: ${err instanceof LockoutAccessError ? err.message : describe(err)}\n`);
    return 2;
  } finally {
    await access.close();
  }
};

function usage(io: Parameters<CliCommand>[1], message: string): number {
  io.stderr.write(`${message}\n\n${HELP}`);
  return 2;
}
