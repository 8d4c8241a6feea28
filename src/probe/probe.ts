import { judgeLoginShareAnswer, type Audience, type KayakoFacts, type KayakoVerdict } from './kayako-judge.js';
import { postLikeKayako, type KayakoPostOptions, type KayakoPostResult, type StaffLoginShareFields, type UserLoginShareFields } from './kayako-request.js';

/**
 * The probe: act as Kayako 4 against any LoginShare URL, then say whether Kayako would let the person
 * in and what it would do with the account. Used by `loginshare-bridge probe`.
 */

export interface ProbeRequest {
  url: string;
  audience: Audience;
  username: string;
  password: string;
  ipaddress: string;
  /** Staff only: the Kayako interface to claim (staff, admin, winapp, staffapi...). */
  interface?: string;
  /** What is known about the Kayako instance (user groups, teams, whether the account exists). */
  facts: Omit<KayakoFacts, 'interface'>;
  timeoutMs: number;
  verifyTls: boolean;
}

export interface ProbeReport {
  url: string;
  audience: Audience;
  /** The form fields as sent, the password replaced by a placeholder. */
  sent: Record<string, string>;
  http: {
    status?: number;
    location?: string;
    contentType?: string;
    bodyBytes: number;
    bodyTruncated: boolean;
    timedOut: boolean;
    networkError?: string;
    elapsedMs: number;
  };
  verdict: KayakoVerdict;
  /** What Kayako would do next, in plain sentences. */
  kayakoActions: string[];
  /** Transport observations for the operator (redirects, timeouts, TLS). Kayako ignores all of these. */
  notes: string[];
}

export type LoginSharePoster = (
  url: string,
  fields: UserLoginShareFields | StaffLoginShareFields,
  options: KayakoPostOptions,
) => Promise<KayakoPostResult>;

export const PASSWORD_PLACEHOLDER = '(hidden)';

export async function runLoginShareProbe(request: ProbeRequest, post: LoginSharePoster = postLikeKayako): Promise<ProbeReport> {
  const base: UserLoginShareFields = { username: request.username, password: request.password, ipaddress: request.ipaddress };
  const fields: UserLoginShareFields | StaffLoginShareFields =
    request.audience === 'staff' ? { ...base, interface: request.interface ?? 'staff' } : base;
  const response = await post(request.url, fields, { timeoutMs: request.timeoutMs, verifyTls: request.verifyTls });
  const facts: KayakoFacts = { ...request.facts };
  if ('interface' in fields) facts.interface = fields.interface;
  const verdict = judgeLoginShareAnswer(response.body, request.audience, facts);

  const http: ProbeReport['http'] = {
    bodyBytes: response.body.length,
    bodyTruncated: response.bodyTruncated,
    timedOut: response.timedOut,
    elapsedMs: response.elapsedMs,
  };
  if (response.status !== undefined) http.status = response.status;
  if (response.location !== undefined) http.location = response.location;
  if (response.contentType !== undefined) http.contentType = response.contentType;
  if (response.networkError !== undefined) http.networkError = response.networkError;

  return {
    url: redactUrl(request.url),
    audience: request.audience,
    sent: { ...fields, password: PASSWORD_PLACEHOLDER },
    http,
    verdict,
    kayakoActions: describeKayakoActions(verdict, request.username, facts),
    notes: [...transportNotes(response, request), ...echoNotes(response.body, request.password)],
  };
}

/** A LoginShare server must never send the password back (debug output, an echoed form...). */
function echoNotes(body: Uint8Array, password: string): string[] {
  if (password.length < 3) return [];
  const text = Buffer.from(body).toString('utf8');
  const xmlEscaped = password.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const echoed = [password, encodeURIComponent(password), xmlEscaped].some((form) => text.includes(form));
  return echoed ? ['SECURITY: the answer body contains the password that was sent. The LoginShare server echoes it back; fix that.'] : [];
}

/** What Kayako does with the answer, as the protocol note describes its account logic. */
export function describeKayakoActions(verdict: KayakoVerdict, username: string, facts: KayakoFacts): string[] {
  if (!verdict.accepted) {
    const actions = [`Kayako refuses the login and shows: ${JSON.stringify(verdict.kayakoMessage)}.`];
    if (verdict.audience === 'staff' && facts.interface === 'admin') {
      actions.push('Because this is the Admin CP, Kayako then tries its own local staff password for this username.');
    }
    return actions;
  }
  if (verdict.audience === 'user') {
    const { user } = verdict;
    const emails = user.emails.join(', ');
    const organization = user.organization === undefined ? '' : `, in the ${user.organizationtype} organization ${JSON.stringify(user.organization)}`;
    return [
      `Kayako looks up every email (${emails}); the last one that belongs to an existing user picks the account.`,
      `No match: it creates the user ${JSON.stringify(user.fullname)} in the group ${JSON.stringify(user.usergroup)} with ${emails}${organization}, and a random password.`,
      `A match: it adds the emails that user lacks (unless they belong to someone else), sets the group ${JSON.stringify(user.usergroup)} and the name ${JSON.stringify(user.fullname)} if that group exists, and updates designation and phone when they are not empty. No email is ever removed.`,
    ];
  }
  const { staff } = verdict;
  const name = `${staff.firstname} ${staff.lastname}`.trim();
  return [
    `Kayako looks up the staff account by the username typed at login, ${JSON.stringify(username)} (not by email).`,
    `No match: it creates ${JSON.stringify(name)} (${staff.email}) in the team ${JSON.stringify(staff.team)}, with a random password.`,
    `A match: it updates name, email and username, keeps the staff member's team, and keeps Kayako's own non-empty signature, designation and mobile number.`,
  ];
}

function transportNotes(response: KayakoPostResult, request: ProbeRequest): string[] {
  const notes: string[] = [];
  if (response.status !== undefined && response.status >= 300 && response.status < 400) {
    notes.push(
      `The server answered HTTP ${response.status}${response.location ? ` to ${response.location}` : ''}. Kayako does not follow redirects: it parsed this response's body. Configure Kayako with the final URL.`,
    );
  } else if (response.status !== undefined && response.status !== 200) {
    notes.push(`HTTP status ${response.status}: Kayako ignores the status and judges the body alone.`);
  }
  if (response.timedOut) {
    notes.push(`No complete answer within ${request.timeoutMs} ms. Kayako gives up after 100 s and judges whatever arrived (here ${response.body.length} bytes).`);
  }
  if (response.networkError !== undefined) {
    const tls = /CERT|SSL|TLS|SELF_SIGNED/i.test(response.networkError);
    notes.push(
      tls
        ? `TLS failed (${response.networkError}). Kayako does not verify certificates and would have connected; rerun with --insecure to do the same.`
        : `Could not reach the LoginShare URL (${response.networkError}): Kayako sees an empty answer.`,
    );
  }
  if (response.bodyTruncated) notes.push('The answer was longer than 8 MiB; only the start was judged.');
  return notes;
}

/**
 * The URL as it may appear in a report: a LoginShare URL carries the realm's caller secret (`?key=` or
 * `user:secret@`), and probe output ends up in terminals, tickets and CI logs.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/([?&]key=)[^&#]*/gi, '$1' + PASSWORD_PLACEHOLDER);
  }
  if (parsed.password) parsed.password = 'hidden';
  for (const name of [...parsed.searchParams.keys()]) {
    if (/^(key|secret|token|password)$/i.test(name)) parsed.searchParams.set(name, 'hidden');
  }
  return parsed.toString();
}
