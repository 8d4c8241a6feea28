import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { Client, ResultCodeError, type SearchOptions, type SearchResult } from 'ldapts';
import { callTimeoutMs, type Deadline } from '../../login/deadline.js';

/**
 * One connection to one directory server through ldapts, every step bounded by its own timeout and by the
 * login's deadline. A step that runs out of time destroys the connection: an LDAP connection with an
 * unanswered request is in an unknown state and is never reused.
 */
export interface LdapTransportOptions {
  urls: readonly string[];
  startTls: boolean;
  /** PEM bundle; undefined = Node's public CAs. */
  ca?: string | string[];
  servername?: string;
  verifyCertificate: boolean;
  connectMs: number;
  operationMs: number;
}

/** A server could not be reached or spoken to (as opposed to an LDAP answer, which is a ResultCodeError). */
export class LdapTransportError extends Error {
  constructor(
    readonly code: 'ERR_LDAP_UNREACHABLE' | 'ERR_LDAP_TIMEOUT' | 'ERR_LDAP_TLS_VERIFY' | 'ERR_LDAP_DEADLINE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LdapTransportError';
  }
}

/** Node's codes for a certificate the configured CAs do not vouch for, or one for another name. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

export class LdapSession {
  #closed = false;

  constructor(
    readonly url: string,
    private readonly client: Client,
    private readonly sockets: Set<Socket>,
    private readonly operationMs: number,
  ) {}

  /** Whether the connection is still open (a server may have closed an idle one). */
  get usable(): boolean {
    return !this.#closed && this.client.isConnected;
  }

  bind(dn: string, password: string, deadline: Deadline): Promise<void> {
    return this.step('bind', () => this.client.bind(dn, password), this.operationMs, deadline);
  }

  search(base: string, options: SearchOptions, deadline: Deadline): Promise<SearchResult> {
    return this.step('search', () => this.client.search(base, options), this.operationMs, deadline);
  }

  /** `startTLS` (exop + handshake): ldapts bounds the exop but not the handshake, so the whole is bounded here. */
  startTls(options: ConnectionOptions, deadline: Deadline, ms: number): Promise<void> {
    return this.step('StartTLS', () => this.client.startTLS(options), ms, deadline);
  }

  /** Says goodbye (unbind) without waiting for a server that may not answer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.client.unbind().catch(() => undefined);
    const timer = setTimeout(() => this.destroy(), 1_000);
    timer.unref();
  }

  destroy(): void {
    this.#closed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private async step<T>(what: string, run: () => Promise<T>, ms: number, deadline: Deadline): Promise<T> {
    const left = deadline.remainingMs();
    if (left <= 0) throw new LdapTransportError('ERR_LDAP_DEADLINE', `${this.url}: no time left for ${what}`);
    const limit = Math.min(ms, left);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          limit < ms
            ? new LdapTransportError('ERR_LDAP_DEADLINE', `${this.url}: ${what} unanswered when the login's deadline came (${Math.round(limit)} ms)`)
            : new LdapTransportError('ERR_LDAP_TIMEOUT', `${this.url}: ${what} unanswered after ${ms} ms`),
        );
      }, limit);
      timer.unref();
    });
    try {
      return await Promise.race([run(), expired]);
    } catch (err) {
      if (err instanceof ResultCodeError) throw err;
      this.destroy();
      throw asTransportError(this.url, what, err);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Turns what ldapts or Node threw into the error the connector reasons about. */
export function asTransportError(url: string, what: string, err: unknown): LdapTransportError {
  if (err instanceof LdapTransportError) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && TLS_VERIFY_CODES.has(code)) {
    return new LdapTransportError('ERR_LDAP_TLS_VERIFY', `${url}: the server's certificate was refused (${code}: ${message}); check tls.ca (or caFile) and tls.servername`, { cause: err });
  }
  if (/timed? ?out/i.test(message)) return new LdapTransportError('ERR_LDAP_TIMEOUT', `${url}: ${what}: ${message}`, { cause: err });
  return new LdapTransportError('ERR_LDAP_UNREACHABLE', `${url}: ${what} failed: ${typeof code === 'string' ? `${code} ` : ''}${message}`, { cause: err });
}

/**
 * The servers in the order to try them: the one that answered last comes first, so a dead first URL costs one
 * connect timeout, not one per login.
 */
export class ServerList {
  #preferred = 0;

  constructor(private readonly options: LdapTransportOptions) {}

  /**
   * Connects (TLS / StartTLS included) and binds, trying each server in turn while a server fails to connect or
   * answer. An LDAP answer to the bind (wrong password, …) is final and rethrown as ldapts raised it.
   */
  openBound(dn: string, password: string, deadline: Deadline): Promise<LdapSession> {
    return this.open(deadline, (session) => session.bind(dn, password, deadline));
  }

  /** Connects and reads the root DSE without binding: the server is up and speaks LDAP. */
  openAnonymous(deadline: Deadline): Promise<LdapSession> {
    return this.open(deadline, async (session) => {
      await session.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] }, deadline);
    });
  }

  private async open(deadline: Deadline, firstStep: (session: LdapSession) => Promise<void>): Promise<LdapSession> {
    const urls = this.options.urls;
    const failures: LdapTransportError[] = [];
    for (let attempt = 0; attempt < urls.length; attempt++) {
      const index = (this.#preferred + attempt) % urls.length;
      const url = urls[index]!;
      if (deadline.remainingMs() <= 0) break;
      const session = this.connect(url, deadline);
      try {
        if (this.options.startTls) await session.startTls(this.tlsOptions(url, true), deadline, this.options.connectMs + this.options.operationMs);
        await firstStep(session);
        this.#preferred = index;
        return session;
      } catch (err) {
        if (err instanceof ResultCodeError) {
          session.close();
          throw err;
        }
        session.destroy();
        failures.push(asTransportError(url, 'connect', err));
      }
    }
    throw combinedFailure(failures, deadline);
  }

  private connect(url: string, deadline: Deadline): LdapSession {
    const sockets = new Set<Socket>();
    const track = <S extends Socket>(socket: S): S => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      return socket;
    };
    const connectTimeout = callTimeoutMs(deadline, this.options.connectMs);
    const secure = url.toLowerCase().startsWith('ldaps:');
    const client = new Client({
      url,
      connectTimeout,
      timeout: this.options.operationMs,
      // Only for ldaps:// — ldapts would otherwise take any tlsOptions as "connect with TLS".
      ...(secure ? { tlsOptions: this.tlsOptions(url, false) } : {}),
      createConnection: ((port: number, host: string) => track(netConnect(port, host))) as typeof netConnect,
      createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => track(tlsConnect(...args) as TLSSocket)) as typeof tlsConnect,
    });
    return new LdapSession(url, client, sockets, this.options.operationMs);
  }

  /** Certificate and host-name verification stay on unless the operator turned them off. */
  private tlsOptions(url: string, forStartTls: boolean): ConnectionOptions {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const name = this.options.servername ?? host;
    const options: ConnectionOptions = { rejectUnauthorized: this.options.verifyCertificate, minVersion: 'TLSv1.2' };
    if (this.options.ca) options.ca = this.options.ca;
    // SNI takes names only. Over ldaps:// Node checks the certificate against `servername`, else the URL's host;
    // over StartTLS the socket exists already, so the name to check is given as `host`.
    if (isIP(name) === 0) options.servername = name;
    if (forStartTls) options.host = name;
    return options;
  }
}

function combinedFailure(failures: LdapTransportError[], deadline: Deadline): LdapTransportError {
  if (failures.length === 0) return new LdapTransportError('ERR_LDAP_DEADLINE', "no time left in the login's deadline to reach a directory server");
  const tls = failures.find((f) => f.code === 'ERR_LDAP_TLS_VERIFY');
  const first = tls ?? failures[failures.length - 1]!;
  const code = tls ? 'ERR_LDAP_TLS_VERIFY' : deadline.remainingMs() <= 0 ? 'ERR_LDAP_DEADLINE' : first.code;
  return new LdapTransportError(code, failures.map((f) => f.message).join('; '), { cause: first });
}
