import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { KEYCLOAK_CLIENTS, KEYCLOAK_USERS } from '../support/keycloak-fixture.js';
import { createCodeFlowClient, createOtpUser } from '../support/keycloak-admin.js';
import { describeWithServer, serverInfo } from '../support/require-server.js';
import { freeLoopbackPort } from '../support/servers/free-port.js';
import { totp } from '../support/totp.js';

/**
 * One-time Kayako sign-in codes end to end: a person opens /signin/<realm> in a real headless Chromium, signs in
 * at the real Keycloak through the authorization-code flow (and, for a user with OTP, its second step), reads
 * the code off the page, and Kayako's LoginShare POST carries it in place of the password. Two bridges share the
 * real Redis, as replicas do: a code issued by one is accepted by the other, once.
 *
 * LSB_SCREENSHOTS_DIR=docs/signin-codes writes the page's states as the screenshots in the docs.
 */
const SECRET = 'kayako-caller-secret-for-signin-tests';
const RULES = `
defaults:
  user: { usergroup: Registered }
  staff: { team: General }
unmatched: { user: default, staff: default }
rules:
  - name: enterprise
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: BigCorp, organizationtype: shared, designation: "{{ claims.jobTitle }}" }
`;
const screenshots = process.env.LSB_SCREENSHOTS_DIR;
const require = createRequire(import.meta.url);

describeWithServer('chromium', 'one-time Kayako sign-in codes from a browser sign-in', (browserInfo) => {
  describeWithServer('keycloak', 'through Keycloak’s authorization-code flow', (keycloak) => {
    const redis = serverInfo('redis');
    const suffix = randomBytes(4).toString('hex');
    const web = { clientId: `bridge-web-${suffix}`, secret: `web-secret-${randomBytes(12).toString('hex')}` };
    const consent = { clientId: `bridge-consent-${suffix}`, secret: `consent-secret-${randomBytes(12).toString('hex')}` };
    const otpUser = { username: `otp-browser-${suffix}`, password: `Pw-${randomBytes(6).toString('hex')}`, secret: `otp-${randomBytes(8).toString('hex')}` };
    let dir: string;
    let replicaA: Bridge;
    let replicaB: Bridge;
    let base: string;
    let baseB: string;
    let browser: Browser;
    let rawLog = '';

    beforeAll(async () => {
      const port = await freeLoopbackPort();
      base = `http://127.0.0.1:${port}`;
      const realms = ['main', 'other', 'quick', 'stale', 'refusing'];
      await createCodeFlowClient(keycloak, { clientId: web.clientId, secret: web.secret, redirectUris: realms.map((r) => `${base}/signin/${r}/callback`) });
      await createCodeFlowClient(keycloak, { clientId: consent.clientId, secret: consent.secret, redirectUris: [`${base}/signin/refusing/callback`], consentRequired: true });
      await createOtpUser(keycloak, { username: otpUser.username, password: otpUser.password, otpSecret: otpUser.secret });

      const signin = (over: string, clientId = web.clientId, clientSecret = web.secret) => `
    signin:
      publicUrl: ${base}
      displayName: Contoso Helpdesk
      method: { type: oidc, connector: keycloak, clientId: ${clientId}, clientSecret: ${clientSecret} }
      helpdeskUrl: https://help.contoso.example/
      staffUrl: https://help.contoso.example/staff/
      ${over}`;
      const realm = (id: string, over = '', clientId?: string, clientSecret?: string) => `
  - id: ${id}
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: keycloak }]${signin(over, clientId, clientSecret)}`;
      dir = await mkdtemp(join(tmpdir(), 'lsb-signin-'));
      await writeFile(join(dir, 'rules.yaml'), RULES);
      await writeFile(
        join(dir, 'config.yaml'),
        `
${redis ? `cache:\n  redis: { url: "${redis.url}", keyPrefix: "signin-${suffix}:" }` : ''}
security:
  lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 }
connectors:
  - id: keycloak
    type: oidc
    dialect: keycloak
    issuer: ${keycloak.issuer}
    clientId: ${KEYCLOAK_CLIENTS.bridge.clientId}
    clientSecret: ${KEYCLOAK_CLIENTS.bridge.secret}
    allowInsecureHttp: true
    timeoutMs: 15000
realms:${realm('main', `codeLifetimeSeconds: 300${redis ? '\n      appPasswords: { lifetimeDays: 30 }' : ''}`)}${realm('other')}${realm('quick', 'codeLifetimeSeconds: 3')}${realm('stale', 'stateLifetimeSeconds: 2')}${realm('refusing', '', consent.clientId, consent.secret)}
`,
      );
      const log = createLogger({ level: 'debug', destination: { write: (line: string) => void (rawLog += line) } });
      const start = async (listenPort: number) => {
        const config = await loadConfig(join(dir, 'config.yaml'), { LOGINSHARE_PORT: String(listenPort), LOGINSHARE_HOST: '127.0.0.1', LOGINSHARE_OPS_HOST: '127.0.0.1', LOGINSHARE_OPS_PORT: '0' });
        const bridge = await createBridge(config, { log, audit: log.child({ stream: 'audit' }), defaultMetrics: false });
        return { bridge, port: (await bridge.listen()).port };
      };
      replicaA = (await start(port)).bridge;
      const b = await start(0);
      replicaB = b.bridge;
      baseB = `http://127.0.0.1:${b.port}`;
      browser = await chromium.launch({ executablePath: browserInfo.executablePath, args: ['--no-sandbox'], headless: true });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await replicaA?.close();
      await replicaB?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** Kayako's LoginShare POST, read the way Kayako reads it. */
    async function kayakoLogin(fields: { username: string; password: string }, realm = 'main', audience: 'user' | 'staff' = 'user', at = base, staffInterface = 'staff') {
      const response = await fetch(`${at}/loginshare/${realm}/${audience}?key=${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'SWIFT_LoginShare' },
        body: new URLSearchParams({ ...fields, ipaddress: '203.0.113.7', ...(audience === 'staff' ? { interface: staffInterface } : {}) }).toString(),
      });
      return readLoginShareAnswer(await response.text(), audience);
    }

    async function shoot(page: Page, name: string) {
      if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
    }

    async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ viewport: { width: 720, height: 480 } });
      return { context, page: await context.newPage() };
    }

    /** At Keycloak's login page: username and password (and the one-time code, if it asks). */
    async function signInAtKeycloak(page: Page, username: string, password: string, otpSecret?: string) {
      await page.waitForURL((url) => url.href.startsWith(keycloak.url));
      await page.fill('#username', username);
      await page.fill('#password', password);
      await page.click('#kc-login');
      if (otpSecret) {
        await page.waitForSelector('#otp');
        await page.fill('#otp', totp(Buffer.from(otpSecret, 'utf8')));
        await page.click('#kc-login');
      }
    }

    /** The whole browser part: start page → Keycloak → the code on the page. */
    async function getCode(page: Page, realm: string, who = KEYCLOAK_USERS.alice, choice = /help center/i): Promise<string> {
      await page.goto(`${base}/signin/${realm}`);
      await page.getByRole('link', { name: choice }).click();
      // A browser already signed in at Keycloak comes straight back.
      if (page.url().startsWith(keycloak.url)) await signInAtKeycloak(page, who.username, who.password);
      await page.waitForURL(new RegExp(`/signin/${realm}/callback`));
      const code = (await page.locator('#sign-in-code').textContent())?.trim() ?? '';
      expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
      return code;
    }

    async function axeViolations(page: Page) {
      const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
      // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
      await page.evaluate(source);
      type Violation = { id: string; impact: string; help: string; nodes: number };
      return page.evaluate<Violation[]>(`(async () => {
        const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
      })()`);
    }

    it('a person signs in in the browser, and Kayako accepts the code once, with the profile the rules give', async () => {
      const { context, page } = await newPage();
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      try {
        const response = await page.goto(`${base}/signin/main`);
        const csp = response?.headers()['content-security-policy'] ?? '';
        expect(csp).toContain("default-src 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(await page.locator('h1').textContent()).toBe('Sign in to Contoso Helpdesk');
        await shoot(page, 'start');
        expect(await axeViolations(page)).toEqual([]);

        await page.getByRole('link', { name: /help center/i }).click();
        await signInAtKeycloak(page, KEYCLOAK_USERS.alice.username, KEYCLOAK_USERS.alice.password);
        await page.waitForURL(/\/signin\/main\/callback/);
        const code = (await page.locator('#sign-in-code').textContent())!.trim();
        expect(await page.locator('main').textContent()).toMatch(/works once, within 5 minutes/);
        expect(await page.locator('main strong').textContent()).toBe('alice@bigcorp.com');
        // The copy button is the page's only script, allowed by the CSP: it shows itself and copies.
        const copy = page.getByRole('button', { name: 'Copy code' });
        await copy.click();
        await expect.poll(() => page.locator('#copy-status').textContent()).toBe('Copied.');
        expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(code);
        const cookies = await context.cookies(base);
        expect(cookies.filter((c) => c.name.startsWith('__Host-lsb-signin'))).toEqual([]);
        await page.locator('#copy-status').evaluate((el) => (el.textContent = ''));
        await shoot(page, 'code');
        expect(await axeViolations(page)).toEqual([]);

        const first = await kayakoLogin({ username: 'alice@bigcorp.com', password: code });
        expect(first).toMatchObject({
          accepted: true,
          user: { usergroup: 'Enterprise', organization: 'BigCorp', designation: 'Purchasing Manager', emails: ['alice@bigcorp.com'] },
        });
        expect(await kayakoLogin({ username: 'alice@bigcorp.com', password: code })).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
        // Neither the code nor the state ever reaches a log line.
        expect(rawLog).not.toContain(code);
        expect(rawLog).toMatch(/one-time code issued/);
      } finally {
        await context.close();
      }
    }, 90_000);

    it('a code is bound to the person, the realm and the audience, and another replica (shared Redis) honours it once', async (ctx) => {
      const { context, page } = await newPage();
      try {
        const forBob = await getCode(page, 'main');
        expect(await kayakoLogin({ username: KEYCLOAK_USERS.bobAgent.username, password: forBob })).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
        // Tried with another username it is spent.
        expect(await kayakoLogin({ username: 'alice', password: forBob })).toMatchObject({ accepted: false });

        const elsewhere = await getCode(page, 'main');
        expect(await kayakoLogin({ username: 'alice', password: elsewhere }, 'other')).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
        const asStaff = await getCode(page, 'main');
        expect(await kayakoLogin({ username: 'alice', password: asStaff }, 'main', 'staff')).toMatchObject({ accepted: false });

        // The username Keycloak knows works as well as the email, in any case.
        const byName = await getCode(page, 'other');
        expect(await kayakoLogin({ username: 'ALICE', password: byName.toLowerCase() }, 'other')).toMatchObject({ accepted: true });

        if (!redis) ctx.skip('redis not running: the cross-replica half needs it');
        const shared = await getCode(page, 'main');
        expect(await kayakoLogin({ username: 'alice', password: shared }, 'main', 'user', baseB)).toMatchObject({ accepted: true });
        expect(await kayakoLogin({ username: 'alice', password: shared }, 'main', 'user', base)).toMatchObject({ accepted: false });
      } finally {
        await context.close();
      }
    }, 90_000);

    it('a code stops working when its lifetime is over', async () => {
      const { context, page } = await newPage();
      try {
        const code = await getCode(page, 'quick');
        await sleep(3_500);
        expect(await kayakoLogin({ username: 'alice', password: code }, 'quick')).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
      } finally {
        await context.close();
      }
    });

    it('a person with OTP configured passes Keycloak’s second step in the browser and gets a working code', async () => {
      const { context, page } = await newPage();
      try {
        await page.goto(`${base}/signin/main`);
        await page.getByRole('link', { name: /help center/i }).click();
        await signInAtKeycloak(page, otpUser.username, otpUser.password, otpUser.secret);
        await page.waitForURL(/\/signin\/main\/callback/);
        const code = (await page.locator('#sign-in-code').textContent())!.trim();
        expect(await kayakoLogin({ username: `${otpUser.username}@otp.example.com`, password: code })).toMatchObject({ accepted: true, user: { usergroup: 'Registered' } });
      } finally {
        await context.close();
      }
    });

    it('wrong codes count towards the lockout like wrong passwords, and never reach the IdP', async () => {
      const username = `guesser-${suffix}@example.com`;
      for (let i = 0; i < 3; i++) {
        expect(await kayakoLogin({ username, password: 'ABCD-EFGH-JKMN-PQRS' })).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
      }
      expect(await kayakoLogin({ username, password: 'ABCD-EFGH-JKMN-PQRS' })).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/temporarily locked/) });
      expect(rawLog).not.toContain('ABCD-EFGH-JKMN-PQRS');
    });

    it('explains a sign-in that took too long', async () => {
      const { context, page } = await newPage();
      try {
        await page.goto(`${base}/signin/stale`);
        await page.getByRole('link', { name: /help center/i }).click();
        await page.waitForURL((url) => url.href.startsWith(keycloak.url));
        // Longer at the IdP than the realm's stateLifetimeSeconds.
        await sleep(2_500);
        await signInAtKeycloak(page, KEYCLOAK_USERS.alice.username, KEYCLOAK_USERS.alice.password);
        await page.waitForURL(/\/signin\/stale\/callback/);
        expect(await page.getByRole('alert').textContent()).toMatch(/took too long/);
        expect(await page.getByRole('link', { name: 'Start again' }).getAttribute('href')).toBe('/signin/stale');
        expect(await page.locator('#sign-in-code').count()).toBe(0);
        await shoot(page, 'error-expired');
        expect(await axeViolations(page)).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);

    it('explains a browser that did not send the cookie back', async () => {
      const { context, page } = await newPage();
      try {
        await page.goto(`${base}/signin/main`);
        await page.getByRole('link', { name: /help center/i }).click();
        await page.waitForURL((url) => url.href.startsWith(keycloak.url));
        // What a browser with cookies off does: it never keeps the cookie the start set.
        await context.clearCookies({ name: '__Host-lsb-signin-main' });
        await signInAtKeycloak(page, KEYCLOAK_USERS.alice.username, KEYCLOAK_USERS.alice.password);
        await page.waitForURL(/\/signin\/main\/callback/);
        expect(await page.getByRole('alert').textContent()).toMatch(/did not send back the cookie/);
        expect(await page.locator('#sign-in-code').count()).toBe(0);
        await shoot(page, 'error-cookies');
      } finally {
        await context.close();
      }
    }, 90_000);

    it('explains an IdP that said no', async () => {
      const { context, page } = await newPage();
      try {
        await page.goto(`${base}/signin/refusing`);
        await page.getByRole('link', { name: /help center/i }).click();
        await signInAtKeycloak(page, KEYCLOAK_USERS.alice.username, KEYCLOAK_USERS.alice.password);
        // "No" on Keycloak's consent screen sends the browser back with error=access_denied.
        await page.waitForSelector('#kc-cancel');
        await page.click('#kc-cancel');
        await page.waitForURL(/\/signin\/refusing\/callback/);
        expect(await page.getByRole('alert').textContent()).toMatch(/did not let you in \(access_denied\)/);
        await shoot(page, 'error-refused');
        expect(await axeViolations(page)).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);

    it('a sign-in started elsewhere and finished here (a phished link) gives no code, nor does a replayed callback', async () => {
      const { context, page } = await newPage();
      try {
        // Someone else starts a sign-in and sends this person the IdP link; their own start set a cookie here.
        const elsewhere = await fetch(`${base}/signin/main/start?for=user`, { redirect: 'manual' });
        const idpLink = elsewhere.headers.get('location')!;
        expect(idpLink).toContain('code_challenge_method=S256');
        await page.goto(`${base}/signin/main`);
        await page.getByRole('link', { name: /help center/i }).click();
        await page.waitForURL((url) => url.href.startsWith(keycloak.url));
        await page.goto(idpLink);
        await signInAtKeycloak(page, KEYCLOAK_USERS.alice.username, KEYCLOAK_USERS.alice.password);
        await page.waitForURL(/\/signin\/main\/callback/);
        expect(await page.getByRole('alert').textContent()).toMatch(/another browser or tab/);
        expect(await page.locator('#sign-in-code').count()).toBe(0);

        // A callback that worked, opened again, finds its sign-in already finished.
        await getCode(page, 'main');
        await page.reload();
        expect(await page.getByRole('alert').textContent()).toMatch(/already finished/);
        expect(await page.locator('#sign-in-code').count()).toBe(0);
      } finally {
        await context.close();
      }
    }, 90_000);

    it('a staff member makes an app password for the desktop app, uses it there, and revokes it', async (ctx) => {
      if (!redis) ctx.skip('redis not running: app passwords need it');
      const bob = KEYCLOAK_USERS.bobAgent;
      const { context, page } = await newPage();
      try {
        await getCode(page, 'main', bob, /staff/i);
        await page.getByRole('link', { name: /App passwords/ }).click();
        await page.waitForURL(/\/signin\/main\/app-passwords$/);
        expect(await page.locator('main').textContent()).toMatch(/no app passwords/);
        await page.getByLabel(/Name for a new app password/).fill('Laptop');
        await page.getByRole('button', { name: 'Create app password' }).click();
        const password = (await page.locator('#sign-in-code').textContent())!.trim();
        expect(password).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){4}$/);
        expect(await page.getByRole('row').filter({ hasText: 'Laptop' }).count()).toBe(1);
        await page.locator('#copy-status').evaluate((el) => (el.textContent = ''));
        await shoot(page, 'app-passwords');
        expect(await axeViolations(page)).toEqual([]);

        const desktop = { username: 'bob@helpdesk.example.com', password };
        expect(await kayakoLogin(desktop, 'main', 'staff', base, 'winapp')).toMatchObject({ accepted: true, staff: { email: 'bob@helpdesk.example.com' } });
        // Used many times, from any replica, but only from the app interfaces, as staff, by its owner.
        expect(await kayakoLogin(desktop, 'main', 'staff', baseB, 'mobile')).toMatchObject({ accepted: true });
        expect(await kayakoLogin(desktop, 'main', 'staff', base, 'staff')).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
        expect(await kayakoLogin(desktop, 'main', 'user')).toMatchObject({ accepted: false });
        expect(await kayakoLogin({ username: 'alice', password }, 'main', 'staff', base, 'winapp')).toMatchObject({ accepted: false });
        expect(rawLog).not.toContain(password);

        // A form posted from elsewhere (another origin) is refused.
        const forged = await fetch(`${base}/signin/main/app-passwords`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
          body: 'label=x&token=x',
        });
        expect(forged.status).toBe(403);

        await page.getByRole('button', { name: 'Revoke Laptop' }).click();
        await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/Laptop revoked/);
        expect(await page.getByRole('row').filter({ hasText: 'Laptop' }).count()).toBe(0);
        expect(await kayakoLogin(desktop, 'main', 'staff', base, 'winapp')).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
      } finally {
        await context.close();
      }
    }, 90_000);

    // Last: it spends this address's budget of starts for a minute.
    it('refuses a flood of sign-in starts from one address', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 61; i++) {
        const response = await fetch(`${base}/signin/other/start?for=user`, { redirect: 'manual' });
        statuses.push(response.status);
        if (response.status === 429) {
          expect(await response.text()).toMatch(/Too many sign-ins from your network/);
          break;
        }
      }
      expect(statuses.at(-1)).toBe(429);
      expect(statuses.slice(0, -1).every((status) => status === 303)).toBe(true);
    }, 90_000);
  });
});
