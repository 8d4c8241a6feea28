import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOidcConnector } from '../../src/connectors/oidc/oidc-connector.js';
import { oidcConnectorSchema } from '../../src/connectors/oidc/oidc-config.js';
import { deadlineIn } from '../../src/login/deadline.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import type { LoginAttempt } from '../../src/login/vocabulary.js';
import { KEYCLOAK_CLIENTS } from '../support/keycloak-fixture.js';
import { createOtpUser } from '../support/keycloak-admin.js';
import { presetConnector } from '../support/presets.js';
import { describeWithServer } from '../support/require-server.js';
import { msLeftInStep, totp } from '../support/totp.js';

/**
 * Appended one-time passwords against the real Keycloak: users of this file's own with a TOTP credential (the
 * realm's default direct-grant flow then demands the `totp` parameter), the code computed from the seeded secret
 * as an authenticator app would.
 *
 * Keycloak refuses a code that has been used once and counts refusals towards its brute-force lock (3 here), so
 * every test uses a fresh step and each user sees at most two refusals.
 */
const deadline = () => deadlineIn(20_000);

describeWithServer('keycloak', 'appended one-time passwords at Keycloak (totp parameter of the direct grant)', (keycloak) => {
  const connectors: PasswordConnector[] = [];
  const suffix = randomBytes(4).toString('hex');
  const secret = `otp-secret-${randomBytes(8).toString('hex')}`;
  const users = { right: `otp-right-${suffix}`, wrong: `otp-wrong-${suffix}`, bare: `otp-bare-${suffix}` };
  const password = `Pw-${randomBytes(6).toString('hex')}`;

  const attempt = (username: string, typed: string): LoginAttempt => ({ username, password: typed, endUserIp: '192.0.2.10', audience: 'user', realmId: 'main' });

  function connector(appendedOtp: Record<string, unknown> | undefined): PasswordConnector {
    const client = KEYCLOAK_CLIENTS.bridge;
    const config = presetConnector(
      'keycloak',
      { id: 'keycloak-otp', issuer: keycloak.issuer, clientId: client.clientId, allowInsecureHttp: true, timeoutMs: 15_000, ...(appendedOtp ? { appendedOtp } : {}) },
      { KEYCLOAK_CLIENT_SECRET: client.secret! },
    );
    const made = createOidcConnector(config);
    connectors.push(made);
    return made;
  }

  /** A code of a step this user has not spent yet (Keycloak remembers spent codes per user), with time left to use it. */
  const spentStep = new Map<string, number>();
  async function freshCode(username: string): Promise<string> {
    for (;;) {
      const step = Math.floor(Date.now() / 30_000);
      if (step !== spentStep.get(username) && msLeftInStep() > 4_000) {
        spentStep.set(username, step);
        return totp(Buffer.from(secret, 'utf8'));
      }
      await sleep(msLeftInStep() + 50);
    }
  }

  let withOtp: PasswordConnector;
  beforeAll(async () => {
    for (const username of Object.values(users)) await createOtpUser(keycloak, { username, password, otpSecret: secret });
    withOtp = connector({});
  });
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close?.()));
  });

  it('logs in with the right code appended, and the same code a second time is refused', async () => {
    const code = await freshCode(users.right);
    const outcome = await withOtp.login(attempt(users.right, `${password},${code}`), deadline());
    expect(outcome.kind, JSON.stringify(outcome)).toBe('ok');
    if (outcome.kind === 'ok') expect(outcome.identity).toMatchObject({ username: users.right, emails: [`${users.right}@otp.example.com`] });
    // Keycloak's OTP policy: a code is good once.
    expect((await withOtp.login(attempt(users.right, `${password},${code}`), deadline())).kind).toBe('invalid_credentials');
  });

  it('refuses a wrong code, and the right password without any code', async () => {
    const code = await freshCode(users.wrong);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect((await withOtp.login(attempt(users.wrong, `${password},${wrong}`), deadline())).kind).toBe('invalid_credentials');
    expect((await withOtp.login(attempt(users.wrong, password), deadline())).kind).toBe('invalid_credentials');
  });

  it('without appendedOtp the connector sends "password,code" as the password, which Keycloak refuses', async () => {
    const plain = connector(undefined);
    // The password is wrong, so Keycloak never checks (or spends) the code.
    const code = totp(Buffer.from(secret, 'utf8'));
    expect((await plain.login(attempt(users.bare, `${password},${code}`), deadline())).kind).toBe('invalid_credentials');
  });

  it('honours a configured separator', async () => {
    const spaced = connector({ separator: ' ' });
    const code = await freshCode(users.bare);
    // `bare` has seen one refusal so far; this success resets Keycloak's count.
    expect((await spaced.login(attempt(users.bare, `${password} ${code}`), deadline())).kind).toBe('ok');
  });
});

it('the connector schema refuses a parameter name the token request already uses', () => {
  const result = oidcConnectorSchema.safeParse({ id: 'x', type: 'oidc', issuer: 'https://idp.example.com', clientId: 'c', appendedOtp: { parameter: 'password' } });
  expect(result.success).toBe(false);
  expect(JSON.stringify(result.error?.issues)).toMatch(/already a parameter of the token request/);
});
