import type { Deadline } from '../../login/deadline.js';
import { LdapTransportError, type LdapSession } from './ldap-session.js';

/**
 * A few connections bound as the service account, kept open so a login's search does not pay TCP + TLS + bind.
 * Only searches run on them; a person's password is always checked on a connection of its own. A connection
 * that failed, timed out or sat idle too long is closed, never handed out again.
 */
export interface ServicePoolOptions {
  size: number;
  idleMs: number;
  /** Opens and binds a new service connection (with failover across the servers). */
  open(deadline: Deadline): Promise<LdapSession>;
  now?: () => number;
}

interface Idle {
  session: LdapSession;
  since: number;
}

export class ServicePool {
  readonly #idle: Idle[] = [];
  readonly #waiting: Array<(session: LdapSession | undefined) => void> = [];
  #open = 0;
  #closed = false;
  readonly #now: () => number;

  constructor(private readonly options: ServicePoolOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Connections open now (idle and in use). */
  get size(): number {
    return this.#open;
  }

  /**
   * Runs `work` on a service connection. A pooled connection that turns out dead (the server dropped it) is
   * replaced by a new one once, within the deadline.
   */
  async run<T>(deadline: Deadline, work: (session: LdapSession) => Promise<T>): Promise<T> {
    const { session, reused } = await this.acquire(deadline);
    try {
      const result = await work(session);
      this.release(session);
      return result;
    } catch (err) {
      if (!(err instanceof LdapTransportError)) {
        this.release(session);
        throw err;
      }
      this.discard(session);
      if (!reused || err.code === 'ERR_LDAP_DEADLINE' || deadline.remainingMs() <= 0) throw err;
      const fresh = await this.openNew(deadline);
      try {
        const result = await work(fresh);
        this.release(fresh);
        return result;
      } catch (retryErr) {
        if (retryErr instanceof LdapTransportError) this.discard(fresh);
        else this.release(fresh);
        throw retryErr;
      }
    }
  }

  /**
   * Opens and binds a new service connection now — readiness wants to know the directory accepts the service
   * account today, not that a connection bound an hour ago is still open — and keeps it for the next login if the
   * pool has room.
   */
  async warm(deadline: Deadline): Promise<void> {
    const session = await this.options.open(deadline);
    if (this.#closed || this.#open >= this.options.size) {
      session.close();
      return;
    }
    this.#open += 1;
    this.release(session);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const { session } of this.#idle.splice(0)) session.close();
    for (const wake of this.#waiting.splice(0)) wake(undefined);
  }

  private async acquire(deadline: Deadline): Promise<{ session: LdapSession; reused: boolean }> {
    if (this.#closed) throw new LdapTransportError('ERR_LDAP_UNREACHABLE', 'the connector is closed');
    const now = this.#now();
    while (this.#idle.length > 0) {
      const idle = this.#idle.pop()!;
      if (idle.session.usable && now - idle.since < this.options.idleMs) return { session: idle.session, reused: true };
      this.discard(idle.session);
    }
    if (this.#open < this.options.size) return { session: await this.openNew(deadline), reused: false };
    // All in use: wait for one to come back (or for a free slot), no longer than the login may.
    const handedOver = await this.waitForTurn(deadline);
    if (handedOver) return { session: handedOver, reused: true };
    return this.acquire(deadline);
  }

  /** A released connection, or undefined when a slot freed up (then the caller tries again). */
  private waitForTurn(deadline: Deadline): Promise<LdapSession | undefined> {
    return new Promise((resolve, reject) => {
      const signal = deadline.signal;
      const onAbort = () => {
        const at = this.#waiting.indexOf(wake);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(new LdapTransportError('ERR_LDAP_DEADLINE', `all ${this.options.size} service connections were busy until the login's deadline`));
      };
      const wake = (session: LdapSession | undefined) => {
        signal.removeEventListener('abort', onAbort);
        resolve(session);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(wake);
    });
  }

  private async openNew(deadline: Deadline): Promise<LdapSession> {
    this.#open += 1;
    try {
      return await this.options.open(deadline);
    } catch (err) {
      this.#open -= 1;
      this.wakeForReplacement();
      throw err;
    }
  }

  private release(session: LdapSession): void {
    if (this.#closed || !session.usable) {
      this.discard(session);
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter) waiter(session);
    else this.#idle.push({ session, since: this.#now() });
  }

  private discard(session: LdapSession): void {
    session.destroy();
    this.#open -= 1;
    this.wakeForReplacement();
  }

  /** A slot freed up: a waiter, if any, gets a new connection of its own by trying again. */
  private wakeForReplacement(): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(undefined);
  }
}
