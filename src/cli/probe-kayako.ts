import { parseArgs } from 'node:util';
import { KAYAKO_TIMEOUT_MS } from '../probe/kayako-request.js';
import { formatStaffApiReport, probeThroughStaffApi } from '../probe/staffapi-probe.js';
import type { CliCommand, CliIO } from './cli-io.js';
import { readAll, readSecret } from './read-secret.js';

const HELP = `Usage: loginshare-bridge probe --kayako KAYAKO-URL --username NAME [options]

Go-live check through Kayako itself: signs in through Kayako's StaffAPI (as the
desktop and mobile apps do), so Kayako calls its staff LoginShare URL (interface
"staffapi"), the bridge asks the IdP and the rules, and Kayako links or creates
the staff account. When Kayako asks for a two-factor key (status 2), the probe
asks for it and signs in again with it.

  --kayako URL          the Kayako's address, e.g. https://helpdesk.example.com
  --username NAME       the staff username, in the realm's staff.usernameForm
  --password-env VAR    read the password from environment variable VAR
  --password-stdin      read the password from the first line of standard input
                        (with neither: a prompt on the terminal; never an argument)
  --twofactor-env VAR   the two-factor key from environment variable VAR
  --twofactor-stdin     the two-factor key from the next line of standard input
                        (with neither: prompted for, only if Kayako asks)
  --timeout-ms N        per request (default ${KAYAKO_TIMEOUT_MS})
  --insecure            do not verify Kayako's TLS certificate
  --json                the report as JSON (without password, key or session id)

Exit status: 0 Kayako signed the person in, 1 it did not, 2 usage error.
This signs in for real: Kayako opens a StaffAPI session and, on a first login,
creates the staff account.
`;

export const runKayakoProbe: CliCommand = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      kayako: { type: 'string' },
      username: { type: 'string' },
      'password-env': { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'twofactor-env': { type: 'string' },
      'twofactor-stdin': { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      insecure: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) return usage(io, `unexpected argument ${JSON.stringify(positionals[0])}`);
  if (!values.kayako) return usage(io, '--kayako URL is required');
  let url: URL;
  try {
    url = new URL(values.kayako);
  } catch {
    return usage(io, `--kayako ${JSON.stringify(values.kayako)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return usage(io, '--kayako must be http:// or https://');
  if (!values.username) return usage(io, '--username is required');
  const timeoutMs = values['timeout-ms'] === undefined ? KAYAKO_TIMEOUT_MS : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return usage(io, '--timeout-ms must be a positive whole number');

  // Both secrets may come through stdin, one line each: read it once and hand out the lines in order.
  const stdinLines = values['password-stdin'] || values['twofactor-stdin'] ? (await readAll(io.stdin)).split(/\r?\n/) : [];
  const password = values['password-stdin'] ? stdinLines.shift() : await readSecret(io, { env: values['password-env'] }, 'Password: ');
  if (!password) return usage(io, 'no password given');
  const twoFactorKey = async () => {
    const key = values['twofactor-stdin'] ? stdinLines.shift() : values['twofactor-env'] ? io.env[values['twofactor-env']] : await readSecret(io, {}, 'Kayako asks for your two-factor key: ');
    if (!key) throw new Error('Kayako asks for a two-factor key and none was given (--twofactor-env VAR or --twofactor-stdin)');
    return key.trim();
  };

  try {
    const report = await probeThroughStaffApi({ kayakoUrl: url.href, username: values.username, password, timeoutMs, verifyTls: !values.insecure, twoFactorKey });
    if (values.json) {
      const rounds = report.rounds.map((r) => (r.kind === 'answer' ? { ...r, answer: { ...r.answer, sessionid: r.answer.sessionid ? '(set)' : '' } } : r));
      io.stdout.write(`${JSON.stringify({ ...report, rounds }, null, 2)}\n`);
    } else {
      io.stdout.write(formatStaffApiReport(report, values.username));
    }
    return report.signedIn ? 0 : 1;
  } catch (err) {
    io.stderr.write(`probe: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
};

function usage(io: CliIO, message: string): number {
  io.stderr.write(`probe --kayako: ${message}\n\n${HELP}`);
  return 2;
}
