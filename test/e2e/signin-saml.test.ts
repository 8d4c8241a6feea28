import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { KEYCLOAK_CLIENTS, KEYCLOAK_USERS } from '../support/keycloak-fixture.js';
import { createSamlWebSsoClient, type KeycloakSamlWebSsoClient } from '../support/keycloak-admin.js';
import { describeWithServer, serverInfo } from '../support/require-server.js';
import { freeLoopbackPort } from '../support/servers/free-port.js';
import { samlKeyPair, signElement } from '../support/saml-test-idp.js';

/**
 * One-time Kayako sign-in codes from a SAML Web SSO sign-in: the person opens /signin/<realm> in a real headless
 * Chromium, signs in at the real Keycloak (a SAML client answering by the HTTP-POST binding, Response and
 * assertion signed, group mapper), Keycloak's page POSTs the answer to the bridge's ACS, and the code on the page
 * works once in Kayako's LoginShare POST.
 *
 * The page is at `localhost` and Keycloak at `127.0.0.1`: two sites, so Keycloak's POST is cross-site and carries
 * no SameSite=Lax cookie, as with a real IdP. The refusals are node-level requests carrying real answers Keycloak
 * gave (captured from the browser), replayed, misdirected, stripped of their signatures or re-signed with
 * another key.
 */
const SECRET = 'kayako-caller-secret-for-saml-signin-tests';
const RULES = `
defaults:
  user: { usergroup: Registered }
  staff: { team: General }
unmatched: { user: default, staff: default }
rules:
  - name: enterprise
    audience: user
    when: { groups: { any: [Enterprise] } }
    set: { usergroup: Enterprise, organization: BigCorp, organizationtype: shared }
`;
const REALM = 'contoso';
const require = createRequire(import.meta.url);

describeWithServer('chromium', 'one-time Kayako sign-in codes from a SAML Web SSO sign-in', (browserInfo) => {
  describeWithServer('keycloak', 'through Keycloak’s SAML HTTP-POST binding', (keycloak) => {
    const redis = serverInfo('redis');
    const suffix = randomBytes(4).toString('hex');
    const spEntityId = `urn:loginshare:bridge:saml-web-${suffix}`;
    let dir: string;
    let bridge: Bridge;
    /** As the browser reaches the page (another site than Keycloak's). */
    let base: string;
    /** The same listener for node's requests. */
    let direct: string;
    let idp: KeycloakSamlWebSsoClient;
    let browser: Browser;
    let rawLog = '';

    beforeAll(async () => {
      const port = await freeLoopbackPort();
      base = `http://localhost:${port}`;
      direct = `http://127.0.0.1:${port}`;
      idp = await createSamlWebSsoClient(keycloak, { clientId: spEntityId, assertionConsumerServiceUrls: [`${base}/signin/${REALM}/saml/acs`] });
      dir = await mkdtemp(join(tmpdir(), 'lsb-signin-saml-'));
      await writeFile(join(dir, 'rules.yaml'), RULES);
      await writeFile(
        join(dir, 'config.yaml'),
        `
${redis ? `cache:\n  redis: { url: "${redis.url}", keyPrefix: "signin-saml-${suffix}:" }` : ''}
connectors:
  - id: keycloak
    type: oidc
    dialect: keycloak
    issuer: ${keycloak.issuer}
    clientId: ${KEYCLOAK_CLIENTS.bridge.clientId}
    clientSecret: ${KEYCLOAK_CLIENTS.bridge.secret}
    allowInsecureHttp: true
realms:
  - id: ${REALM}
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: keycloak }]
    signin:
      publicUrl: ${base}
      displayName: Contoso Helpdesk
      helpdeskUrl: https://help.contoso.example/
      method:
        type: saml
        ssoUrl: ${idp.ssoUrl}
        spEntityId: ${spEntityId}
        idpEntityId: ${idp.idpEntityId}
        idpCertificates: [${idp.idpCertificates.map((c) => JSON.stringify(c)).join(', ')}]
        wantResponseSigned: true
        allowInsecureHttp: true
`,
      );
      const log = createLogger({ level: 'debug', destination: { write: (line: string) => void (rawLog += line) } });
      const config = await loadConfig(join(dir, 'config.yaml'), { LOGINSHARE_PORT: String(port), LOGINSHARE_HOST: '127.0.0.1', LOGINSHARE_OPS_HOST: '127.0.0.1', LOGINSHARE_OPS_PORT: '0' });
      bridge = await createBridge(config, { log, audit: log.child({ stream: 'audit' }), defaultMetrics: false });
      await bridge.listen();
      browser = await chromium.launch({ executablePath: browserInfo.executablePath, args: ['--no-sandbox'], headless: true });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await bridge?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function kayakoLogin(fields: { username: string; password: string }) {
      const response = await fetch(`${direct}/loginshare/${REALM}/user?key=${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'SWIFT_LoginShare' },
        body: new URLSearchParams({ ...fields, ipaddress: '203.0.113.7' }).toString(),
      });
      return readLoginShareAnswer(await response.text(), 'user');
    }

    async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ viewport: { width: 720, height: 480 } });
      return { context, page: await context.newPage() };
    }

    async function axeViolations(page: Page) {
      const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
      await page.evaluate(source);
      type Violation = { id: string; impact: string; help: string; nodes: number };
      return page.evaluate<Violation[]>(`(async () => {
        const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
      })()`);
    }

    /** Start page → Keycloak's login form (unless this browser is signed in there already). */
    async function signInAtKeycloak(page: Page, who = KEYCLOAK_USERS.alice) {
      await page.goto(`${base}/signin/${REALM}`);
      await page.getByRole('link', { name: /help center/i }).click();
      await page.waitForURL((url) => url.href.startsWith(keycloak.url) || url.pathname.includes('/saml/'));
      if (page.url().startsWith(keycloak.url) && (await page.locator('#username').count()) > 0) {
        await page.fill('#username', who.username);
        await page.fill('#password', who.password);
        await page.click('#kc-login');
      }
    }

    /**
     * A sign-in in the browser whose answer never reaches the bridge: the form Keycloak's page POSTs to the ACS is
     * kept and the POST aborted — an answer as someone else could get hold of it.
     */
    async function interceptedAnswer(page: Page): Promise<URLSearchParams> {
      let posted: string | undefined;
      await page.route('**/saml/acs', async (route) => {
        posted = route.request().postData() ?? '';
        await route.abort();
      });
      await signInAtKeycloak(page);
      await expect.poll(() => posted, { timeout: 30_000 }).toBeDefined();
      await page.unroute('**/saml/acs');
      return new URLSearchParams(posted);
    }

    /** A sign-in started by node, as another browser: its cookie and the AuthnRequest's ID and RelayState. */
    async function startElsewhere(): Promise<{ cookie: string; requestId: string; relayState: string }> {
      const response = await fetch(`${direct}/signin/${REALM}/start?for=user`, { redirect: 'manual' });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(location.href.startsWith(idp.ssoUrl)).toBe(true);
      const request = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-lsb-signin-'))!.split(';')[0]!;
      return { cookie, requestId: /\sID="([^"]+)"/.exec(request)![1]!, relayState: location.searchParams.get('RelayState')! };
    }

    /** POSTs a form to the ACS as an IdP's page would, then follows the hand-over as the browser would. */
    async function postAnswer(form: URLSearchParams, cookie?: string): Promise<{ acsStatus: number; status: number; text: string }> {
      const acs = await fetch(`${direct}/signin/${REALM}/saml/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(keycloak.url).origin },
        body: form.toString(),
        redirect: 'manual',
      });
      if (acs.status !== 303) return { acsStatus: acs.status, status: acs.status, text: await acs.text() };
      const next = new URL(acs.headers.get('location')!, direct);
      expect(next.pathname).toBe(`/signin/${REALM}/saml/finish`);
      const finish = await fetch(`${direct}${next.pathname}${next.search}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
      return { acsStatus: 303, status: finish.status, text: await finish.text() };
    }

    const responseXml = (form: URLSearchParams) => Buffer.from(form.get('SAMLResponse')!, 'base64').toString('utf8');
    const asForm = (xml: string, relayState: string) => new URLSearchParams({ SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'), RelayState: relayState });
    const withoutSignatures = (xml: string) => xml.replace(/<(\w+:)?Signature\b[\s\S]*?<\/\1Signature>/g, '');
    const codeShape = /[0-9A-Z]{4}(-[0-9A-Z]{4}){3}/;
    /** Posts the answer, and says why the bridge refused it (from its log, which names the reason for operators). */
    async function rejection(form: URLSearchParams, cookie: string): Promise<{ status: number; text: string; reason: string }> {
      const mark = rawLog.length;
      const answer = await postAnswer(form, cookie);
      const logged = /SAML response rejected: ((?:[^"\\]|\\.)*)/.exec(rawLog.slice(mark))?.[1];
      const reason = logged === undefined ? '(none logged)' : (JSON.parse(`"${logged}"`) as string);
      return { ...answer, reason };
    }

    it('publishes the SP metadata Keycloak (or any IdP) can import', async () => {
      const response = await fetch(`${direct}/signin/${REALM}/saml/metadata`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
      const metadata = await response.text();
      expect(metadata).toContain(`entityID="${spEntityId}"`);
      expect(metadata).toMatch(new RegExp(`<AssertionConsumerService[^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"[^>]*Location="${base}/signin/${REALM}/saml/acs"`));
      // An OIDC-only path does not exist for a SAML realm, and the reverse.
      expect((await fetch(`${direct}/signin/${REALM}/callback?state=x&code=y`)).status).toBe(404);
    });

    it('a person signs in through SAML in the browser, and Kayako accepts the code once', async () => {
      const { context, page } = await newPage();
      const seen: { acs?: Request; finish?: Request } = {};
      page.on('request', (request) => {
        if (request.url().includes('/saml/acs')) seen.acs = request;
        if (request.url().includes('/saml/finish')) seen.finish = request;
      });
      try {
        await signInAtKeycloak(page);
        await page.waitForURL(new RegExp(`/signin/${REALM}/saml/finish`));
        const code = (await page.locator('#sign-in-code').textContent())?.trim() ?? '';
        expect(code).toMatch(new RegExp(`^${codeShape.source}$`));
        expect(await page.locator('main strong').textContent()).toBe('alice@bigcorp.com');
        const csp = (await page.context().request.get(`${base}/signin/${REALM}`)).headers()['content-security-policy'] ?? '';
        expect(csp).toContain("default-src 'none'");
        // Keycloak's cross-site POST came without the page's cookie; the hand-over GET brought it back.
        expect(seen.acs?.method()).toBe('POST');
        expect((await seen.acs!.allHeaders())['cookie'] ?? '').not.toContain('__Host-lsb-signin-');
        expect((await seen.finish!.allHeaders())['cookie'] ?? '').toContain('__Host-lsb-signin-');
        await page.locator('#copy-status').evaluate((el) => (el.textContent = ''));
        expect(await axeViolations(page)).toEqual([]);

        expect(await kayakoLogin({ username: 'alice@bigcorp.com', password: code })).toMatchObject({
          accepted: true,
          user: { usergroup: 'Enterprise', organization: 'BigCorp', emails: ['alice@bigcorp.com'] },
        });
        expect(await kayakoLogin({ username: 'alice@bigcorp.com', password: code })).toMatchObject({ accepted: false, kayakoMessage: 'Invalid Username or Password' });
        expect(rawLog).not.toContain(code);
        expect(rawLog).toMatch(/one-time code issued/);

        // Opening the finished page again finds its sign-in already finished.
        await page.reload();
        expect(await page.getByRole('alert').textContent()).toMatch(/already finished/);
        expect(await axeViolations(page)).toEqual([]);

        // The answer that gave the code, posted again (with this browser's cookies): its sign-in is spent.
        const replayed = await postAnswer(new URLSearchParams(seen.acs!.postData() ?? ''), (await context.cookies(base)).map((c) => `${c.name}=${c.value}`).join('; '));
        expect(replayed.status).toBe(400);
        expect(replayed.text).toMatch(/already finished/);
        expect(replayed.text).not.toMatch(codeShape);
      } finally {
        await context.close();
      }
    }, 120_000);

    it('an answer for someone else’s pending sign-in gives no code in this browser', async () => {
      const { context, page } = await newPage();
      try {
        // The victim's answer, posted by someone without the victim's cookie.
        const stolen = await interceptedAnswer(page);
        const noCookie = await postAnswer(stolen);
        expect(noCookie.status).toBe(400);
        expect(noCookie.text).toMatch(/did not send back the cookie/);
        expect(noCookie.text).not.toMatch(codeShape);

        // And by someone with a sign-in of their own in progress: their cookie is not the victim's.
        const attacker = await startElsewhere();
        const other = await postAnswer(await interceptedAnswer(page), attacker.cookie);
        expect(other.status).toBe(400);
        expect(other.text).toMatch(/another browser or tab/);
        expect(other.text).not.toMatch(codeShape);

        // An answer for the attacker's own sign-in pushed into the victim's browser (to sign them in as the
        // attacker) is refused the same way: the victim's browser holds no cookie of that sign-in.
        const victim = await startElsewhere();
        const pushed = await postAnswer(new URLSearchParams({ SAMLResponse: stolen.get('SAMLResponse')!, RelayState: attacker.relayState }), victim.cookie);
        expect(pushed.text).toMatch(/another browser or tab/);
        expect(rawLog).toMatch(/"outcome":"other_browser"/);
      } finally {
        await context.close();
      }
    }, 120_000);

    it('refuses a replayed answer, one for another request, a forged or unsigned one, and one with no pending sign-in', async () => {
      const { context, page } = await newPage();
      const issuedBefore = rawLog.match(/one-time code issued/g)?.length ?? 0;
      try {
        const real = await interceptedAnswer(page);
        const realXml = responseXml(real);
        expect(realXml).toMatch(/Signature/);

        // A genuine, validly signed answer from Keycloak, for another AuthnRequest than this sign-in's.
        const mine = await startElsewhere();
        const misdirected = await rejection(asForm(realXml, mine.relayState), mine.cookie);
        expect(misdirected).toMatchObject({ status: 503, reason: expect.stringMatching(/^InResponseTo ".+" is not the request just sent/) });
        expect(misdirected.text).toMatch(/not available right now/);
        expect(misdirected.text).not.toMatch(codeShape);

        // The same answer rewritten for this sign-in's request: the signatures no longer match.
        const rewrite = (xml: string, requestId: string) => xml.replace(/InResponseTo="[^"]+"/g, `InResponseTo="${requestId}"`);
        const tampered = await startElsewhere();
        const tamperedAnswer = await rejection(asForm(rewrite(realXml, tampered.requestId), tampered.relayState), tampered.cookie);
        expect(tamperedAnswer).toMatchObject({ status: 503, reason: expect.stringMatching(/signature/i) });
        expect(tamperedAnswer.text).not.toMatch(codeShape);

        // Unsigned: every signature taken out.
        const unsigned = await startElsewhere();
        const unsignedAnswer = await rejection(asForm(withoutSignatures(rewrite(realXml, unsigned.requestId)), unsigned.relayState), unsigned.cookie);
        expect(unsignedAnswer).toMatchObject({ status: 503, reason: expect.stringMatching(/signature/i) });
        expect(unsignedAnswer.text).not.toMatch(codeShape);

        // Forged: signed, correctly, by a key that is not the IdP's.
        const forger = await samlKeyPair('not-the-idp');
        const forged = await startElsewhere();
        const forgedXml = signElement(signElement(withoutSignatures(rewrite(realXml, forged.requestId)), 'Assertion', forger), 'Response', forger);
        const forgedAnswer = await rejection(asForm(forgedXml, forged.relayState), forged.cookie);
        expect(forgedAnswer).toMatchObject({ status: 503, reason: expect.stringMatching(/signature/i) });
        expect(forgedAnswer.text).not.toMatch(codeShape);

        // Delivered late, by someone else (no cookie), it spends its sign-in; posted again it finds none.
        expect((await postAnswer(real)).text).toMatch(/did not send back the cookie/);
        const replayed = await postAnswer(real);
        expect(replayed.status).toBe(400);
        expect(replayed.text).toMatch(/already finished/);

        // No pending sign-in: a made-up RelayState, none at all (IdP-initiated), nothing posted.
        const madeUp = await postAnswer(asForm(realXml, randomBytes(32).toString('base64url')));
        expect(madeUp.status).toBe(400);
        expect(madeUp.text).toMatch(/already finished/);
        const unsolicited = await postAnswer(new URLSearchParams({ SAMLResponse: real.get('SAMLResponse')! }));
        expect(unsolicited.status).toBe(400);
        expect(unsolicited.text).toMatch(/not a complete sign-in answer/);
        expect((await postAnswer(new URLSearchParams())).status).toBe(400);
        // A hand-over token that was never given out.
        expect((await fetch(`${direct}/signin/${REALM}/saml/finish?answer=nothing`)).status).toBe(400);

        expect(rawLog.match(/one-time code issued/g)?.length ?? 0).toBe(issuedBefore);
      } finally {
        await context.close();
      }
    }, 120_000);
  });
});
