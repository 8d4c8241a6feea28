import { parseArgs } from 'node:util';
import type { Audience } from '../probe/kayako-judge.js';
import { KAYAKO_TIMEOUT_MS } from '../probe/kayako-request.js';
import { formatProbeReport } from '../probe/probe-format.js';
import { runLoginShareProbe, type LoginSharePoster, type ProbeRequest } from '../probe/probe.js';
import { phpUrlencode } from '../probe/php-semantics.js';
import type { CliCommand, CliIO } from './cli-io.js';

export const PROBE_HELP = `Usage: loginshare-bridge probe --url URL --username NAME [options]
       loginshare-bridge probe --kayako KAYAKO-URL --username NAME [options]   (see probe --kayako --help)

Act as Kayako 4 against any LoginShare URL: POST exactly what Kayako posts, read only the
body, judge it as Kayako's PHP does, and say whether Kayako would let the person in and what
it would do with the account.

Options:
  --url URL              the LoginShare URL (the one configured in Kayako)
  --audience user|staff  which Kayako URL this is; default: from a URL ending in /user or /staff
  --username NAME        what the person types as username (an email for users)
  --password-env VAR     read the password from environment variable VAR
  --password-stdin       read the password from standard input (one line)
                         (with neither, the password is prompted for when stdin is a terminal;
                          a password is never accepted as an argument: ps would show it)
  --ip ADDRESS           the person's address Kayako reports (default 127.0.0.1)
  --interface NAME       staff only: the Kayako interface (staff, admin, winapp, staffapi, ...;
                         default staff; "admin" applies the Admin CP checks)
  --usergroups "A,B"     titles of the registered user groups that exist in Kayako
  --teams "X,Y"          titles of the staff teams that exist in Kayako
  --admin-teams "X"      titles of the teams flagged as admin teams
  --existing | --new     whether the Kayako account already exists (default: unknown, so the
                         verdict must hold for a first and a returning login)
  --timeout-ms N         give up after N ms (default ${KAYAKO_TIMEOUT_MS}, as Kayako)
  --insecure             do not verify the TLS certificate (Kayako does not either)
  --json                 print the report as JSON
  -h, --help             this text

Exit status: 0 Kayako would accept the login, 1 it would refuse it, 2 usage error.
`;

class UsageError extends Error {}

/** `loginshare-bridge probe`: see PROBE_HELP. */
export const runProbe: CliCommand = async (args, io) =>
  // `--kayako URL`: the go-live check through Kayako's StaffAPI (probe-kayako.ts).
  args.some((a) => a === '--kayako' || a.startsWith('--kayako=')) ? (await import('./probe-kayako.js')).runKayakoProbe(args, io) : probeCommand(args, io);

/** The command with an injectable poster, so tests can observe what would be sent. */
export async function probeCommand(args: string[], io: CliIO, post?: LoginSharePoster): Promise<number> {
  let request: ProbeRequest;
  let json: boolean;
  try {
    const parsed = parseProbeArgs(args);
    if (parsed === 'help') {
      io.stdout.write(PROBE_HELP);
      return 0;
    }
    const password = await readPassword(parsed.passwordSource, io);
    request = { ...parsed.request, password };
    json = parsed.json;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      const hint = /'--password'/.test((error as Error).message) ? ' (never put a password in the arguments: use --password-env or --password-stdin)' : '';
      io.stderr.write(`probe: ${(error as Error).message}${hint}\nRun "loginshare-bridge probe --help" for usage.\n`);
      return 2;
    }
    throw error;
  }

  const report = await runLoginShareProbe(request, post);
  const text = json ? JSON.stringify(report, null, 2) + '\n' : formatProbeReport(report);
  // Belt and braces: an answer body may echo the form back; the password must never reach the terminal.
  io.stdout.write(redactPassword(text, request.password));
  return report.verdict.accepted ? 0 : 1;
}

type PasswordSource = { kind: 'env'; name: string } | { kind: 'stdin' } | { kind: 'prompt' };

interface ProbeInvocation {
  request: Omit<ProbeRequest, 'password'>;
  passwordSource: PasswordSource;
  json: boolean;
}

function parseProbeArgs(args: string[]): 'help' | ProbeInvocation {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      audience: { type: 'string' },
      username: { type: 'string' },
      'password-env': { type: 'string' },
      'password-stdin': { type: 'boolean' },
      ip: { type: 'string', default: '127.0.0.1' },
      interface: { type: 'string' },
      usergroups: { type: 'string' },
      teams: { type: 'string' },
      'admin-teams': { type: 'string' },
      existing: { type: 'boolean' },
      new: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      insecure: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.url === undefined) throw new UsageError('--url is required');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(values.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http:// or https://');
  if (values.username === undefined) throw new UsageError('--username is required');

  const audience = parseAudience(values.audience, url);
  if (values.interface !== undefined && audience !== 'staff') throw new UsageError('--interface applies to staff LoginShare only');
  if (values.interface !== undefined && !/^[a-z0-9_]+$/.test(values.interface)) {
    throw new UsageError('--interface is a lower-case Kayako interface name such as staff, admin or winapp');
  }
  if (values['password-env'] !== undefined && values['password-stdin']) throw new UsageError('give --password-env or --password-stdin, not both');
  if (values.existing && values.new) throw new UsageError('give --existing or --new, not both');

  let timeoutMs = KAYAKO_TIMEOUT_MS;
  if (values['timeout-ms'] !== undefined) {
    timeoutMs = Number(values['timeout-ms']);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout-ms must be a positive whole number of milliseconds');
  }

  const facts: ProbeRequest['facts'] = {};
  if (values.usergroups !== undefined) facts.userGroups = titleList(values.usergroups);
  if (values.teams !== undefined) facts.teams = titleList(values.teams);
  if (values['admin-teams'] !== undefined) facts.adminTeams = titleList(values['admin-teams']);
  if (values.existing) facts.accountExists = true;
  if (values.new) facts.accountExists = false;

  const request: Omit<ProbeRequest, 'password'> = {
    url: url.href,
    audience,
    username: values.username,
    ipaddress: values.ip,
    facts,
    timeoutMs,
    verifyTls: !values.insecure,
  };
  if (audience === 'staff') request.interface = values.interface ?? 'staff';
  const passwordSource: PasswordSource =
    values['password-env'] !== undefined
      ? { kind: 'env', name: values['password-env'] }
      : values['password-stdin']
        ? { kind: 'stdin' }
        : { kind: 'prompt' };
  return { request, passwordSource, json: values.json ?? false };
}

function parseAudience(flag: string | undefined, url: URL): Audience {
  if (flag !== undefined) {
    if (flag !== 'user' && flag !== 'staff') throw new UsageError('--audience is user or staff');
    return flag;
  }
  // The bridge's own routes end in /user and /staff (DESIGN.md); other servers need --audience.
  const last = url.pathname.replace(/\/+$/, '').split('/').pop();
  if (last === 'user' || last === 'staff') return last;
  throw new UsageError('--audience user|staff is required when the URL does not end in /user or /staff');
}

/** A comma-separated list of Kayako titles; titles are matched exactly, so only the spaces around commas go. */
function titleList(raw: string): string[] {
  return raw
    .split(',')
    .map((title) => title.trim())
    .filter((title) => title !== '');
}

async function readPassword(source: PasswordSource, io: CliIO): Promise<string> {
  switch (source.kind) {
    case 'env': {
      const value = io.env[source.name];
      if (value === undefined) throw new UsageError(`environment variable ${source.name} is not set`);
      return value;
    }
    case 'stdin':
      return (await readAll(io.stdin)).replace(/\r?\n$/, '');
    case 'prompt': {
      const stdin = io.stdin as NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
      if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
        throw new UsageError('no password: use --password-env VAR or --password-stdin (stdin is not a terminal to prompt on)');
      }
      return promptHidden(stdin as NodeJS.ReadStream, io);
    }
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Read one line from the terminal without echoing it. */
function promptHidden(stdin: NodeJS.ReadStream, io: CliIO): Promise<string> {
  io.stderr.write('Password: ');
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (error?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new UsageError('interrupted'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * Replace the password wherever it appears in the output: as typed, urlencoded, XML-escaped, and as the
 * judge quotes body bytes (\xNN), each also JSON-escaped. Passwords under 3 characters are left alone.
 */
export function redactPassword(text: string, password: string): string {
  if (password.length < 3) return text;
  const xmlEscaped = password.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const asBodyBytes = Buffer.from(password, 'utf8')
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const forms = new Set<string>();
  for (const form of [password, phpUrlencode(password), xmlEscaped, asBodyBytes]) {
    forms.add(form);
    forms.add(JSON.stringify(form).slice(1, -1));
    forms.add(JSON.stringify(JSON.stringify(form).slice(1, -1)).slice(1, -1));
  }
  let out = text;
  // Longest first, so a form containing another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join('***');
  return out;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
