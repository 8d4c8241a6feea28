import { parseArgs } from 'node:util';
import type { CliCommand } from './cli-io.js';
import { describe } from './check.js';
import { LockoutAccessError, OPS_TOKEN_VARIABLE, openLockoutAccess } from './lockout-access.js';
import { lockoutJson } from '../http/lockout-admin.js';

const HELP = `Usage: loginshare-bridge lockouts [--realm ID] [--config FILE | --ops-url URL] [--json]

Lists who the bridge has locked out now (after too many wrong passwords), soonest
unlocked first. Writes an audit line.

  --config FILE   the bridge's config: the lockouts in its Redis (cache.redis), every replica's
  --ops-url URL   a running bridge's ops port, with its ops.adminToken in ${OPS_TOKEN_VARIABLE}:
                  that replica's lockouts when they are kept in memory
  --realm ID      only this realm
  --json          one JSON document instead of the table
`;

export const runLockouts: CliCommand = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      realm: { type: 'string' },
      config: { type: 'string', short: 'c' },
      'ops-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  let access;
  try {
    access = await openLockoutAccess({ config: values.config, opsUrl: values['ops-url'] }, io);
  } catch (err) {
    io.stderr.write(`lockouts: ${err instanceof LockoutAccessError ? err.message : describe(err)}\n`);
    return 2;
  }
  try {
    const lockouts = await access.list(values.realm);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ lockouts: lockouts.map(lockoutJson) }, null, 2)}\n`);
      return 0;
    }
    if (lockouts.length === 0) {
      io.stdout.write(`nobody is locked out${values.realm ? ` in realm ${values.realm}` : ''} (${access.where})\n`);
      return 0;
    }
    const now = Date.now();
    const rows = lockouts.map((l) => [l.realmId, l.username ?? '(name not recorded)', l.lockedUntil.toISOString(), `${Math.max(0, Math.ceil((l.lockedUntil.getTime() - now) / 1000))} s`]);
    const header = ['REALM', 'USERNAME', 'LOCKED UNTIL', 'LEFT'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) io.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`lockouts: ${err instanceof LockoutAccessError ? err.message : describe(err)}\n`);
    return 2;
  } finally {
    await access.close();
  }
};
