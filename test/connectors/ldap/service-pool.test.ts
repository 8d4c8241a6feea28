import { describe, expect, it } from 'vitest';
import { deadlineIn } from '../../../src/login/deadline.js';
import { LdapTransportError, type LdapSession } from '../../../src/connectors/ldap/ldap-session.js';
import { ServicePool } from '../../../src/connectors/ldap/service-pool.js';

/** Stand-ins for bound service connections: the pool's bookkeeping, without a server. */
interface FakeSession {
  id: number;
  usable: boolean;
  destroyed: boolean;
  destroy(): void;
  close(): void;
}

function poolWith(options: { size: number; idleMs?: number; now?: () => number; failOpen?: boolean }) {
  const opened: FakeSession[] = [];
  const pool = new ServicePool({
    size: options.size,
    idleMs: options.idleMs ?? 60_000,
    ...(options.now ? { now: options.now } : {}),
    open: async () => {
      if (options.failOpen) throw new LdapTransportError('ERR_LDAP_UNREACHABLE', 'down');
      const session: FakeSession = {
        id: opened.length + 1,
        usable: true,
        destroyed: false,
        destroy() {
          this.destroyed = true;
          this.usable = false;
        },
        close() {
          this.usable = false;
        },
      };
      opened.push(session);
      return session as unknown as LdapSession;
    },
  });
  return { pool, opened };
}

const idOf = (s: LdapSession) => (s as unknown as FakeSession).id;

describe('service connection pool', () => {
  it('reuses one connection for logins one after another', async () => {
    const { pool, opened } = poolWith({ size: 4 });
    for (let i = 0; i < 5; i++) expect(await pool.run(deadlineIn(1_000), async (s) => idOf(s))).toBe(1);
    expect(opened).toHaveLength(1);
  });

  it('opens at most `size` connections; further logins wait for one to come back', async () => {
    const { pool, opened } = poolWith({ size: 2 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const busy = [pool.run(deadlineIn(1_000), async (s) => (await gate, idOf(s))), pool.run(deadlineIn(1_000), async (s) => (await gate, idOf(s)))];
    const third = pool.run(deadlineIn(1_000), async (s) => idOf(s));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(opened).toHaveLength(2);
    release();
    expect((await Promise.all(busy)).sort()).toEqual([1, 2]);
    expect([1, 2]).toContain(await third);
    expect(opened).toHaveLength(2);
  });

  it('a login waiting for a busy pool gives up at its deadline, and the pool is still whole afterwards', async () => {
    const { pool, opened } = poolWith({ size: 1 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holder = pool.run(deadlineIn(5_000), async () => gate);
    await expect(pool.run(deadlineIn(50), async (s) => idOf(s))).rejects.toMatchObject({ code: 'ERR_LDAP_DEADLINE' });
    release();
    await holder;
    expect(await pool.run(deadlineIn(1_000), async (s) => idOf(s))).toBe(1);
    expect(opened).toHaveLength(1);
  });

  it('replaces a pooled connection the server dropped, within the same login', async () => {
    const { pool, opened } = poolWith({ size: 1 });
    await pool.run(deadlineIn(1_000), async () => undefined);
    let calls = 0;
    const result = await pool.run(deadlineIn(1_000), async (s) => {
      calls += 1;
      if (idOf(s) === 1) throw new LdapTransportError('ERR_LDAP_UNREACHABLE', 'Connection closed before message response was received');
      return idOf(s);
    });
    expect(result).toBe(2);
    expect(calls).toBe(2);
    expect(opened[0]!.destroyed).toBe(true);
  });

  it('keeps a connection after an LDAP answer (it is fine), drops it after a timeout, and closes idle ones', async () => {
    let now = 0;
    const { pool, opened } = poolWith({ size: 1, idleMs: 1_000, now: () => now });
    await expect(pool.run(deadlineIn(1_000), async () => Promise.reject(new Error('noSuchObject')))).rejects.toThrow('noSuchObject');
    expect(await pool.run(deadlineIn(1_000), async (s) => idOf(s))).toBe(1);
    now += 5_000;
    expect(await pool.run(deadlineIn(1_000), async (s) => idOf(s))).toBe(2);
    expect(opened[0]!.destroyed).toBe(true);
    await expect(pool.run(deadlineIn(1_000), async () => Promise.reject(new LdapTransportError('ERR_LDAP_DEADLINE', 'late')))).rejects.toThrow('late');
    expect(opened[1]!.destroyed).toBe(true);
    expect(pool.size).toBe(0);
  });

  it('warm-up (readiness) binds a new connection every time, keeping it only while the pool has room', async () => {
    const { pool, opened } = poolWith({ size: 2 });
    for (let i = 0; i < 3; i++) await pool.warm(deadlineIn(1_000));
    expect(opened).toHaveLength(3);
    expect(pool.size).toBe(2);
    expect(opened[2]!.usable).toBe(false);
    expect(await pool.run(deadlineIn(1_000), async (s) => idOf(s))).not.toBe(3);
  });

  it('does not count a connection that could not be opened', async () => {
    const { pool } = poolWith({ size: 1, failOpen: true });
    await expect(pool.run(deadlineIn(1_000), async () => 1)).rejects.toThrow('down');
    await expect(pool.run(deadlineIn(1_000), async () => 1)).rejects.toThrow('down');
    expect(pool.size).toBe(0);
  });
});
