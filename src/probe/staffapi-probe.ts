import { Agent, request } from 'undici';
import { childNamed, loadSimpleXml } from './simplexml.js';

/**
 * A go-live check through Kayako itself: a login through Kayako's StaffAPI (what the desktop and mobile apps use,
 * `staffapi/index.php?/Core/Default/Login`, protocol note "Other Kayako login surfaces"), so that the whole chain —
 * Kayako → LoginShare → the bridge → the IdP → the rules → Kayako's staff account — is exercised at once.
 */

export interface StaffApiAnswer {
  /** `1` signed in, `2` Kayako asks for a two-factor key, anything else refused. */
  status: string;
  error: string;
  sessionid: string;
  staffid: string;
  version: string;
  sessiontimeout: string;
}

export type StaffApiRound =
  | { kind: 'answer'; answer: StaffApiAnswer; httpStatus: number }
  /** Not a kayako_staffapi answer: a wrong URL, an HTML error page, a proxy. */
  | { kind: 'unreadable'; reason: string; httpStatus?: number; bodyStart: string };

export interface StaffApiProbeOptions {
  /** The Kayako's address, e.g. https://helpdesk.example.com (the StaffAPI path is added). */
  kayakoUrl: string;
  username: string;
  password: string;
  timeoutMs: number;
  verifyTls: boolean;
  /** Asked only when Kayako answers status 2. */
  twoFactorKey(): Promise<string>;
}

export interface StaffApiProbeReport {
  url: string;
  rounds: StaffApiRound[];
  /** Kayako asked for a two-factor key. */
  twoFactorAsked: boolean;
  signedIn: boolean;
  staffId?: string;
  kayakoVersion?: string;
}

export function staffApiLoginUrl(kayakoUrl: string): string {
  const base = kayakoUrl.endsWith('/') ? kayakoUrl : `${kayakoUrl}/`;
  return `${base}staffapi/index.php?/Core/Default/Login`;
}

export async function probeThroughStaffApi(options: StaffApiProbeOptions): Promise<StaffApiProbeReport> {
  const url = staffApiLoginUrl(options.kayakoUrl);
  const dispatcher = new Agent({ connect: { rejectUnauthorized: options.verifyTls }, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  const rounds: StaffApiRound[] = [];
  try {
    const fields: Record<string, string> = { username: options.username, password: options.password };
    let round = await post(url, fields, dispatcher, options.timeoutMs);
    rounds.push(round);
    let twoFactorAsked = false;
    if (round.kind === 'answer' && round.answer.status === '2') {
      twoFactorAsked = true;
      round = await post(url, { ...fields, twofactorkey: await options.twoFactorKey() }, dispatcher, options.timeoutMs);
      rounds.push(round);
    }
    const last = round.kind === 'answer' ? round.answer : undefined;
    const report: StaffApiProbeReport = { url, rounds, twoFactorAsked, signedIn: last?.status === '1' };
    if (last?.status === '1') {
      report.staffId = last.staffid;
      if (last.version) report.kayakoVersion = last.version;
    }
    return report;
  } finally {
    await dispatcher.close();
  }
}

async function post(url: string, fields: Record<string, string>, dispatcher: Agent, timeoutMs: number): Promise<StaffApiRound> {
  let httpStatus: number;
  let body: Uint8Array;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
    });
    httpStatus = response.statusCode;
    body = new Uint8Array(await response.body.arrayBuffer());
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
    return { kind: 'unreadable', reason: `no answer: ${cause}`, bodyStart: '' };
  }
  const bodyStart = Buffer.from(body.subarray(0, 200)).toString('utf8');
  const loaded = loadSimpleXml(body);
  if (!loaded.ok) return { kind: 'unreadable', reason: `not XML (${loaded.error})`, httpStatus, bodyStart };
  const root = loaded.document.root;
  if (root.name !== 'kayako_staffapi') return { kind: 'unreadable', reason: `not a StaffAPI answer (root element <${root.name}>)`, httpStatus, bodyStart };
  const text = (name: string) => childNamed(root, name)?.text.trim() ?? '';
  return {
    kind: 'answer',
    httpStatus,
    answer: { status: text('status'), error: text('error'), sessionid: text('sessionid'), staffid: text('staffid'), version: text('version'), sessiontimeout: text('sessiontimeout') },
  };
}

/** What the operator reads; never the password, the key or the session id (it is a credential). */
export function formatStaffApiReport(report: StaffApiProbeReport, username: string): string {
  const lines = [`Kayako StaffAPI login as ${JSON.stringify(username)}: ${report.url}`];
  report.rounds.forEach((round, index) => {
    const label = index === 0 ? 'login' : 'two-factor key';
    if (round.kind === 'unreadable') {
      lines.push(`  ${label}: ${round.reason}${round.httpStatus !== undefined ? ` (HTTP ${round.httpStatus})` : ''}`);
      if (round.bodyStart) lines.push(`    body starts: ${JSON.stringify(round.bodyStart.slice(0, 120))}`);
      return;
    }
    const { status, error } = round.answer;
    const meaning = status === '1' ? 'signed in' : status === '2' ? 'Kayako asks for a two-factor key' : 'refused';
    lines.push(`  ${label}: status ${status || '(none)'} — ${meaning}${error ? `: ${JSON.stringify(error)}` : ''}`);
  });
  if (report.signedIn) {
    lines.push(
      `PASS: Kayako accepted the login through LoginShare (staff id ${report.staffId || '?'}${report.kayakoVersion ? `, Kayako ${report.kayakoVersion}` : ''}).`,
      '      The chain Kayako → bridge → IdP → rules → Kayako staff account works for this person.',
    );
  } else {
    lines.push(
      'FAIL: Kayako did not sign the person in.',
      '      The StaffAPI shows every LoginShare refusal as the same phrase: the bridge\'s audit line for this',
      '      username says why (wrong password, rules, interface "staffapi" not in staff.interfaces, team missing in Kayako …).',
    );
  }
  return `${lines.join('\n')}\n`;
}
