import { deadlineIn } from '../../../src/login/deadline.js';
import { describe, expect, it } from 'vitest';
import { createLocalConnector, localConnectorSchema } from '../../../src/connectors/local/local-connector.js';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../../src/connectors/local/password-hash.js';

const FAST = { ln: 10, r: 8, p: 1 };
const attempt = (username: string, password: string) => ({ username, password, endUserIp: '', audience: 'user' as const, realmId: 'r' });

describe('password hashes', () => {
  it('verifies the right password and refuses others; salts differ', async () => {
    const a = await hashPassword('correct horse battery', FAST);
    const b = await hashPassword('correct horse battery', FAST);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
  });

  it('refuses the password with a NUL appended, which scrypt alone would take for the password itself', async () => {
    const hash = await hashPassword('correct horse battery', FAST);
    expect(await verifyPassword('correct horse battery\0', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery\0\0', hash)).toBe(false);
    await expect(hashPassword('with\0nul', FAST)).rejects.toThrow(/NUL/);
  });

  it('explains a malformed hash', () => {
    expect(() => parsePasswordHash('plaintext')).toThrow(/hash-password/);
  });
});

describe('local accounts connector', () => {
  it('logs in, refuses a wrong password, and passes unknown users on', async () => {
    const connector = createLocalConnector(
      localConnectorSchema.parse({
        id: 'breakglass',
        type: 'local',
        users: [{ username: 'Admin', passwordHash: await hashPassword('pw-1234567890', FAST), email: 'admin@example.com', fullName: 'Break Glass', groups: ['Helpdesk-Admins'] }],
      }),
    );
    const ok = await connector.login(attempt('admin', 'pw-1234567890'), deadlineIn(5000));
    expect(ok).toMatchObject({ kind: 'ok', identity: { username: 'Admin', emails: ['admin@example.com'], groups: ['Helpdesk-Admins'], displayName: 'Break Glass', connectorId: 'breakglass' } });
    expect(await connector.login(attempt('admin', 'nope'), deadlineIn(5000))).toEqual({ kind: 'invalid_credentials' });
    expect(await connector.login(attempt('someone-else', 'pw'), deadlineIn(5000))).toEqual({ kind: 'unknown_user' });
  });

  it('rejects a config with a plaintext password, pointing at the field', () => {
    const result = localConnectorSchema.safeParse({ id: 'l', type: 'local', users: [{ username: 'a', passwordHash: 'secret' }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['users', 0, 'passwordHash']);
  });
});
