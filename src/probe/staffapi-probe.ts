import http from 'node:http';
import https from 'node:https';
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
  const rounds: StaffApiRound[] = [];
  const fields: Record<string, string> = { username: options.username, password: options.password };
  let round = await post(url, fields, options);
  rounds.push(round);
  let twoFactorAsked = false;
  if (round.kind === 'answer' && round.answer.status === '2') {
    twoFactorAsked = true;
    round = await post(url, { ...fields, twofactorkey: await options.twoFactorKey() }, options);
    rounds.push(round);
  }
  const last = round.kind === 'answer' ? round.answer : undefined;
  const report: StaffApiProbeReport = { url, rounds, twoFactorAsked, signedIn: last?.status === '1' };
  if (last?.status === '1') {
    report.staffId = last.staffid;
    if (last.version) report.kayakoVersion = last.version;
  }
  return report;
}

/** Kayako answers a login in a few hundred bytes; a body larger than this is not a StaffAPI answer. */
const MAX_BODY_BYTES = 1024 * 1024;

async function post(url: string, fields: Record<string, string>, options: Pick<StaffApiProbeOptions, 'timeoutMs' | 'verifyTls'>): Promise<StaffApiRound> {
  let httpStatus: number;
  let body: Uint8Array;
  try {
    ({ status: httpStatus, body } = await postForm(new URL(url), new URLSearchParams(fields).toString(), options));
  } catch (err) {
    return { kind: 'unreadable', reason: `no answer: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, bodyStart: '' };
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

/** One form POST, bounded by `timeoutMs` from start to the last byte. */
function postForm(target: URL, form: string, options: Pick<StaffApiProbeOptions, 'timeoutMs' | 'verifyTls'>): Promise<{ status: number; body: Uint8Array }> {
  const transport = target.protocol === 'https:' ? https : http;
  const payload = Buffer.from(form, 'utf8');
  return new Promise((resolve, reject) => {
    const request = transport.request(target, {
      method: 'POST',
      agent: false,
      rejectUnauthorized: options.verifyTls,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(payload.length) },
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) request.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, body: new Uint8Array(Buffer.concat(chunks)) });
      });
      response.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    request.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    request.end(payload);
  });
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
