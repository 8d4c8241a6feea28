import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INVALID_DATA, KAYAKO_BAD_LOGIN_PHRASE, readLoginShareAnswer, type KayakoVerdict } from '../../src/probe/kayako-judge.js';
import { postLikeKayako, type KayakoPostResult, type StaffLoginShareFields, type UserLoginShareFields } from '../../src/probe/kayako-request.js';
import { phpEmptyString, phpTrim } from '../../src/probe/php-semantics.js';

/**
 * An in-memory Kayako 4 for end-to-end tests: it calls a LoginShare URL exactly as Kayako does, judges the
 * answer with the probe's judge, then applies Kayako's account logic (SWIFT_LoginShareUser /
 * SWIFT_LoginShareStaff, protocol note "User success" / "Staff success") to its own small database, so a
 * test can assert "Kayako created user X in group Y". Everything is inspectable; nothing is persisted.
 */

export type TitleMatching =
  /** Titles, usernames and LIKE compare byte for byte (a binary collation; the strict reading of the note). */
  | 'exact'
  /** MySQL's usual utf8_general_ci: case-insensitive, trailing spaces ignored by "=" (not by LIKE). */
  | 'mysql-ci';

export interface KayakoEmulatorOptions {
  userLoginShareUrl?: string;
  staffLoginShareUrl?: string;
  /** User groups; a plain title means a registered-type group (the only type LoginShare can use). Default: Registered. */
  userGroups?: (string | { title: string; type?: 'registered' | 'guest' })[];
  /** Staff teams (staff groups). */
  teams?: (string | { title: string; isAdmin?: boolean })[];
  organizations?: (string | { name: string; type?: 'shared' | 'restricted' })[];
  users?: { fullname: string; usergroup: string; emails: string[]; organization?: string; designation?: string; phone?: string }[];
  staff?: {
    username: string;
    team: string;
    firstname: string;
    lastname?: string;
    email: string;
    designation?: string;
    mobilenumber?: string;
    signature?: string;
    /** A local Kayako password: used only by the Admin CP fallback after a failed LoginShare. */
    localPassword?: string;
    /** Kayako's own two-factor sign-in for this staff member: the key the StaffAPI then asks for (status 2). */
    twoFactorKey?: string;
  }[];
  titleMatching?: TitleMatching;
  /** Staff licence seats; creating staff beyond it fails as Kayako does. */
  licensedStaff?: number;
  timeoutMs?: number;
  /** SWIFT_VERSION reported by the StaffAPI. */
  version?: string;
  /** security_sessioninactivity reported by the StaffAPI. */
  sessionTimeoutSeconds?: number;
}

export interface EmulatedUserGroup {
  id: number;
  title: string;
  type: 'registered' | 'guest';
}
export interface EmulatedTeam {
  id: number;
  title: string;
  isAdmin: boolean;
}
export interface EmulatedOrganization {
  id: number;
  name: string;
  type: 'shared' | 'restricted';
}
export interface EmulatedUser {
  id: number;
  fullname: string;
  usergroupId: number;
  organizationId: number;
  designation: string;
  phone: string;
  emails: string[];
}
export interface EmulatedStaff {
  id: number;
  username: string;
  firstname: string;
  lastname: string;
  fullname: string;
  designation: string;
  email: string;
  mobilenumber: string;
  signature: string;
  teamId: number;
  localPassword?: string;
  twoFactorKey?: string;
}

export type KayakoChange =
  | { kind: 'organization-created'; organizationId: number; name: string; type: 'shared' | 'restricted' }
  | { kind: 'user-created'; userId: number; fullname: string; usergroup: string; emails: string[]; organizationId: number }
  | { kind: 'user-email-added'; userId: number; email: string }
  | { kind: 'user-updated'; userId: number; field: 'usergroup' | 'fullname' | 'designation' | 'phone'; from: string; to: string }
  | { kind: 'staff-created'; staffId: number; username: string; team: string }
  | { kind: 'staff-updated'; staffId: number; field: string; from: string; to: string };

/** One request Kayako sent, password masked, with what came back. */
export interface RecordedLoginShareCall {
  url: string;
  fields: Record<string, string>;
  status?: number;
  body: string;
  timedOut: boolean;
  networkError?: string;
}

interface FailureBase {
  ok: false;
  /** What Kayako shows the person (SWIFT::Get('errorstring'), or the exception text). */
  errorString: string;
  /** True when Kayako threw (an error page rather than the login form). */
  exception: boolean;
  verdict?: KayakoVerdict;
  changes: KayakoChange[];
}

export type UserLoginResult =
  | { ok: true; user: EmulatedUser; created: boolean; changes: KayakoChange[]; verdict: KayakoVerdict }
  | FailureBase;

export type StaffLoginResult =
  | { ok: true; staff: EmulatedStaff; created: boolean; via: 'loginshare' | 'local-fallback'; changes: KayakoChange[]; verdict?: KayakoVerdict }
  | FailureBase;

/** Language 'invaliduser' of the StaffAPI (its failures never carry the LoginShare message). */
const STAFFAPI_INVALID_USER = KAYAKO_BAD_LOGIN_PHRASE;

export class KayakoEmulator {
  readonly userGroups: EmulatedUserGroup[] = [];
  readonly teams: EmulatedTeam[] = [];
  readonly organizations: EmulatedOrganization[] = [];
  readonly users: EmulatedUser[] = [];
  readonly staff: EmulatedStaff[] = [];
  /** Every change Kayako made, in order, across all logins. */
  readonly changes: KayakoChange[] = [];
  readonly calls: RecordedLoginShareCall[] = [];
  private nextId = 1;
  private readonly matching: TitleMatching;

  constructor(private readonly options: KayakoEmulatorOptions) {
    this.matching = options.titleMatching ?? 'exact';
    for (const group of options.userGroups ?? ['Registered']) {
      const { title, type = 'registered' } = typeof group === 'string' ? { title: group } : group;
      this.userGroups.push({ id: this.id(), title, type });
    }
    for (const team of options.teams ?? []) {
      const { title, isAdmin = false } = typeof team === 'string' ? { title: team } : team;
      this.teams.push({ id: this.id(), title, isAdmin });
    }
    for (const organization of options.organizations ?? []) {
      const { name, type = 'restricted' } = typeof organization === 'string' ? { name: organization } : organization;
      this.organizations.push({ id: this.id(), name, type });
    }
    for (const user of options.users ?? []) {
      const group = this.userGroups.find((g) => g.title === user.usergroup) ?? this.fail(`unknown user group ${user.usergroup}`);
      const organization = user.organization === undefined ? undefined : this.organizations.find((o) => o.name === user.organization);
      this.users.push({
        id: this.id(),
        fullname: user.fullname,
        usergroupId: group.id,
        organizationId: organization?.id ?? 0,
        designation: user.designation ?? '',
        phone: user.phone ?? '',
        emails: user.emails.map((e) => e.toLowerCase()),
      });
    }
    for (const member of options.staff ?? []) {
      const team = this.teams.find((t) => t.title === member.team) ?? this.fail(`unknown team ${member.team}`);
      const record: EmulatedStaff = {
        id: this.id(),
        username: member.username,
        firstname: member.firstname,
        lastname: member.lastname ?? '',
        fullname: `${member.firstname} ${member.lastname ?? ''}`.trim(),
        designation: member.designation ?? '',
        email: member.email.toLowerCase(),
        mobilenumber: member.mobilenumber ?? '',
        signature: member.signature ?? '',
        teamId: team.id,
      };
      if (member.localPassword !== undefined) record.localPassword = member.localPassword;
      if (member.twoFactorKey !== undefined) record.twoFactorKey = member.twoFactorKey;
      this.staff.push(record);
    }
  }

  // --- inspection -------------------------------------------------------------------------------

  findUserByEmail(email: string): EmulatedUser | undefined {
    return this.users.find((u) => u.emails.includes(email.toLowerCase()));
  }

  findStaff(username: string): EmulatedStaff | undefined {
    return this.staff.find((s) => this.equalTitles(s.username, username));
  }

  groupOf(user: EmulatedUser): string {
    return this.userGroups.find((g) => g.id === user.usergroupId)?.title ?? '';
  }

  teamOf(member: EmulatedStaff): EmulatedTeam {
    return this.teams.find((t) => t.id === member.teamId)!;
  }

  organizationOf(user: EmulatedUser): EmulatedOrganization | undefined {
    return this.organizations.find((o) => o.id === user.organizationId);
  }

  // --- the three logins ------------------------------------------------------------------------

  /** A support-center login (the user types an email or username): SWIFT_LoginShareUser::Authenticate. */
  async userLogin(username: string, password: string, ipaddress = '127.0.0.1'): Promise<UserLoginResult> {
    const url = this.options.userLoginShareUrl ?? this.fail('no userLoginShareUrl configured');
    const changes: KayakoChange[] = [];
    const response = await this.dispatch(url, { username, password, ipaddress });
    const verdict = readLoginShareAnswer(response.body, 'user');
    if (!verdict.accepted) return this.failure(verdict.kayakoMessage, changes, verdict);
    if (verdict.audience !== 'user') throw new Error('unreachable: user answer read as staff');
    const { user: profile } = verdict;

    const group = this.userGroups.find((g) => g.type === 'registered' && this.equalTitles(g.title, profile.usergroup));

    // Kayako resolves (and creates) the organization before it knows whether the user exists.
    let organizationId = 0;
    if (profile.organization !== undefined) {
      const match = this.organizations.find((o) => this.sqlLike(o.name, profile.organization!));
      if (match) organizationId = match.id;
      else {
        const created: EmulatedOrganization = { id: this.id(), name: profile.organization, type: profile.organizationtype };
        this.organizations.push(created);
        organizationId = created.id;
        this.record(changes, { kind: 'organization-created', organizationId: created.id, name: created.name, type: created.type });
      }
    }

    // Every email is looked up; the last one that belongs to a user wins.
    let existing: EmulatedUser | undefined;
    for (const email of profile.emails) existing = this.findUserByEmail(email) ?? existing;

    if (existing) {
      for (const email of profile.emails) {
        if (!existing.emails.includes(email) && this.findUserByEmail(email) === undefined) {
          existing.emails.push(email);
          this.record(changes, { kind: 'user-email-added', userId: existing.id, email });
        }
      }
      if (group) {
        if (phpTrim(profile.fullname) === '') return this.failure(INVALID_DATA, changes, verdict, true);
        this.updateUser(existing, 'usergroup', this.groupOf(existing), group.title, changes, () => (existing.usergroupId = group.id));
        this.updateUser(existing, 'fullname', existing.fullname, profile.fullname, changes, () => (existing.fullname = profile.fullname));
      }
      if (profile.designation) this.updateUser(existing, 'designation', existing.designation, profile.designation, changes, () => (existing.designation = profile.designation!));
      if (profile.phone) this.updateUser(existing, 'phone', existing.phone, profile.phone, changes, () => (existing.phone = profile.phone!));
      return { ok: true, user: existing, created: false, changes, verdict };
    }

    if (!group) return this.failure(`${INVALID_DATA}: Invalid Group`, changes, verdict);
    if (phpTrim(profile.fullname) === '') return this.failure(INVALID_DATA, changes, verdict, true);
    const user: EmulatedUser = {
      id: this.id(),
      fullname: profile.fullname,
      usergroupId: group.id,
      organizationId,
      designation: profile.designation ?? '',
      phone: profile.phone ?? '',
      emails: [...profile.emails],
    };
    this.users.push(user);
    this.record(changes, { kind: 'user-created', userId: user.id, fullname: user.fullname, usergroup: group.title, emails: [...user.emails], organizationId });
    return { ok: true, user, created: true, changes, verdict };
  }

  /** A staff login from a Kayako interface ("admin" is the Admin CP): SWIFT_Staff::Authenticate. */
  async staffLogin(username: string, password: string, kayakoInterface = 'staff', ipaddress = '127.0.0.1'): Promise<StaffLoginResult> {
    const url = this.options.staffLoginShareUrl ?? this.fail('no staffLoginShareUrl configured');
    const shouldBeAdmin = kayakoInterface === 'admin';
    const result = await this.loginShareStaff(url, { username, password, ipaddress, interface: kayakoInterface }, shouldBeAdmin);
    // A failed LoginShare in the Admin CP falls back to Kayako's own staff passwords.
    if (!result.ok && shouldBeAdmin) return this.localAdminLogin(username, password) ?? result;
    return result;
  }

  /**
   * The StaffAPI login used by the desktop and mobile apps; returns the kayako_staffapi XML. A staff member with
   * two-factor sign-in is asked for the key (status 2) after the password has been accepted, and the client posts
   * username, password and `twofactorkey` again (protocol note, "Other Kayako login surfaces"). The note does not
   * document the answer to a wrong key: this emulator answers it like a wrong password (status -1).
   */
  async staffApiLogin(username: string, password: string, twoFactorKey?: string): Promise<string> {
    if (username === '' || password === '') return staffApiXml({ status: '-1', error: STAFFAPI_INVALID_USER });
    const result = await this.staffLogin(username, password, 'staffapi');
    if (!result.ok) return staffApiXml({ status: '-1', error: STAFFAPI_INVALID_USER });
    const expectedKey = result.staff.twoFactorKey;
    if (expectedKey !== undefined && (twoFactorKey === undefined || twoFactorKey === '')) return staffApiXml({ status: '2', error: '' });
    if (expectedKey !== undefined && twoFactorKey !== expectedKey) return staffApiXml({ status: '-1', error: STAFFAPI_INVALID_USER });
    return staffApiXml({
      status: '1',
      error: '',
      version: this.options.version ?? '4.98.0',
      sessionid: randomBytes(16).toString('hex'),
      sessiontimeout: String(this.options.sessionTimeoutSeconds ?? 3600),
      staffid: String(result.staff.id),
    });
  }

  /**
   * Serves the StaffAPI login over HTTP on a loopback port, as a Kayako's `staffapi/index.php?/Core/Default/Login`
   * (form fields username, password, twofactorkey), so a client can be tested the way it talks to Kayako.
   */
  async listenStaffApi(): Promise<{ baseUrl: string; close(): Promise<void> }> {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const path = decodeURIComponent(req.url ?? '');
        if (req.method !== 'POST' || path !== '/staffapi/index.php?/Core/Default/Login') {
          res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not found</html>');
          return;
        }
        const form = new URLSearchParams(body);
        this.staffApiLogin(form.get('username') ?? '', form.get('password') ?? '', form.get('twofactorkey') ?? undefined).then(
          (xml) => res.writeHead(200, { 'content-type': 'text/xml' }).end(xml),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  // --- staff logic --------------------------------------------------------------------------------

  private async loginShareStaff(url: string, fields: StaffLoginShareFields, shouldBeAdmin: boolean): Promise<StaffLoginResult> {
    const changes: KayakoChange[] = [];
    const response = await this.dispatch(url, fields);
    const verdict = readLoginShareAnswer(response.body, 'staff');
    if (!verdict.accepted) return this.failure(verdict.kayakoMessage, changes, verdict);
    if (verdict.audience !== 'staff') throw new Error('unreachable: staff answer read as user');
    const answer = { ...verdict.staff };

    // Staff are linked by the username typed at login, never by email.
    const existing = fields.username === '' ? undefined : this.findStaff(fields.username);
    const team = existing ? this.teamOf(existing) : this.teams.find((t) => this.equalTitles(t.title, answer.team));
    if (!team) return this.failure(`${INVALID_DATA}: Invalid Group`, changes, verdict);
    if (shouldBeAdmin && !team.isAdmin) return this.failure('Staff Group is not Admin', changes, verdict);

    if (existing) {
      // Kayako prefers its own non-empty signature, designation and mobile number.
      if (existing.signature !== '') answer.signature = existing.signature;
      if (existing.designation !== '') answer.designation = existing.designation;
      if (existing.mobilenumber !== '') answer.mobilenumber = existing.mobilenumber;
      if (phpEmptyString(answer.firstname) || phpEmptyString(fields.username) || phpEmptyString(answer.email)) {
        return this.failure(INVALID_DATA, changes, verdict, true);
      }
      const updates: [keyof EmulatedStaff, string][] = [
        ['firstname', answer.firstname.trim()],
        ['lastname', answer.lastname.trim()],
        ['designation', answer.designation.trim()],
        ['fullname', `${answer.firstname} ${answer.lastname}`.trim()],
        ['username', fields.username.trim()],
        ['email', answer.email.trim().toLowerCase()],
        ['mobilenumber', answer.mobilenumber.slice(0, 20)],
        ['signature', answer.signature],
      ];
      for (const [field, value] of updates) {
        const from = String(existing[field] ?? '');
        if (from !== value) {
          (existing as unknown as Record<string, string>)[field] = value;
          this.record(changes, { kind: 'staff-updated', staffId: existing.id, field, from, to: value });
        }
      }
      return { ok: true, staff: existing, created: false, via: 'loginshare', changes, verdict };
    }

    if (this.options.licensedStaff !== undefined && this.staff.length >= this.options.licensedStaff) {
      return this.failure('Unable to create a new staff account: licence limit reached', changes, verdict);
    }
    if ((phpEmptyString(answer.firstname) && phpEmptyString(answer.lastname)) || phpEmptyString(fields.username) || phpEmptyString(answer.email)) {
      return this.failure(INVALID_DATA, changes, verdict, true);
    }
    const member: EmulatedStaff = {
      id: this.id(),
      username: fields.username.trim(),
      firstname: answer.firstname.trim(),
      lastname: answer.lastname.trim(),
      fullname: `${answer.firstname} ${answer.lastname}`.trim(),
      designation: answer.designation.trim(),
      email: answer.email.trim().toLowerCase(),
      // The column holds 20 characters; MySQL (non-strict) cuts the rest.
      mobilenumber: answer.mobilenumber.slice(0, 20),
      signature: answer.signature,
      teamId: team.id,
    };
    this.staff.push(member);
    this.record(changes, { kind: 'staff-created', staffId: member.id, username: member.username, team: team.title });
    return { ok: true, staff: member, created: true, via: 'loginshare', changes, verdict };
  }

  private localAdminLogin(username: string, password: string): StaffLoginResult | undefined {
    const member = this.findStaff(username);
    if (!member || member.localPassword === undefined || member.localPassword !== password || password === '') return undefined;
    if (!this.teamOf(member).isAdmin) return undefined;
    return { ok: true, staff: member, created: false, via: 'local-fallback', changes: [] };
  }

  // --- plumbing ------------------------------------------------------------------------------------

  private async dispatch(url: string, fields: UserLoginShareFields | StaffLoginShareFields): Promise<KayakoPostResult> {
    const response = await postLikeKayako(url, fields, { timeoutMs: this.options.timeoutMs ?? 100_000 });
    const call: RecordedLoginShareCall = {
      url,
      fields: { ...fields, password: '***' },
      body: Buffer.from(response.body).toString('utf8'),
      timedOut: response.timedOut,
    };
    if (response.status !== undefined) call.status = response.status;
    if (response.networkError !== undefined) call.networkError = response.networkError;
    this.calls.push(call);
    return response;
  }

  private updateUser(
    user: EmulatedUser,
    field: 'usergroup' | 'fullname' | 'designation' | 'phone',
    from: string,
    to: string,
    changes: KayakoChange[],
    apply: () => void,
  ): void {
    if (from === to) return;
    apply();
    this.record(changes, { kind: 'user-updated', userId: user.id, field, from, to });
  }

  private failure(errorString: string, changes: KayakoChange[], verdict?: KayakoVerdict, exception = false): FailureBase {
    const failure: FailureBase = { ok: false, errorString, exception, changes };
    if (verdict !== undefined) failure.verdict = verdict;
    return failure;
  }

  private record(changes: KayakoChange[], change: KayakoChange): void {
    changes.push(change);
    this.changes.push(change);
  }

  private equalTitles(stored: string, wanted: string): boolean {
    if (this.matching === 'exact') return stored === wanted;
    return stored.replace(/ +$/, '').toLowerCase() === wanted.replace(/ +$/, '').toLowerCase();
  }

  /** `organizationname LIKE '<title>'`: % and _ are wildcards, backslash escapes. */
  private sqlLike(value: string, pattern: string): boolean {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
      else if (c === '%') source += '[\\s\\S]*';
      else if (c === '_') source += '[\\s\\S]';
      else source += escapeRegExp(c);
    }
    return new RegExp(`^${source}$`, this.matching === 'exact' ? 'u' : 'iu').test(value);
  }

  private id(): number {
    return this.nextId++;
  }

  private fail(message: string): never {
    throw new Error(`KayakoEmulator: ${message}`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The StaffAPI answer as SWIFT_XML::EchoXMLStaffAPI prints it. */
function staffApiXml(tags: Record<string, string>): string {
  const body = Object.entries(tags)
    .map(([name, value]) => `\t<${name}>${escapeXml(value)}</${name}>\n`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<kayako_staffapi>\n${body}</kayako_staffapi>\n`;
}
