import type { LoginThrottle } from '../../src/security/login-throttle.js';
import type { Server } from 'node:http';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realmSchema } from '../../src/config/schema.js';
import { createCallerGuard } from '../../src/http/caller-guard.js';
import { createLoginShareListener, type GuardedRealm } from '../../src/http/loginshare-app.js';
import type { PasswordConnector } from '../../src/login/password-connector.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createRealm } from '../../src/realm/realm.js';
import { parseRules } from '../../src/rules/index.js';
import { roomyLoginFlow, serveOnLoopback } from '../support/loginshare-listener.js';
import { sendRaw, type RawResponse } from '../support/raw-http.js';

/**
 * Random and hostile LoginShare requests against the real Hono app on a loopback port: whatever arrives, the
 * answer is well-formed LoginShare XML, nothing crashes, no promise is left rejected, and the heap stays flat.
 *
 * Replay a failing run with the seed (and path) it prints:  LSB_FUZZ_SEED=<seed> LSB_FUZZ_PATH=<path>
 * npx vitest run test/http/loginshare-fuzz.test.ts. LSB_FUZZ_RUNS changes the number of requests (default 10 000).
 */
const RUNS = Number(process.env.LSB_FUZZ_RUNS ?? 10_000);
const SEED = process.env.LSB_FUZZ_SEED !== undefined ? Number(process.env.LSB_FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const REPLAY_PATH = process.env.LSB_FUZZ_PATH;
const SECRET = 'fuzz-secret-0123456789abcdef';
const GOOD_PASSWORD = 'correct horse battery staple';
const BODY_LIMIT = 16_384;
const BATCH = 8;

/**
 * The good password carries a placeholder the sender replaces with a number of its own, so that, with requests
 * in flight together, each accepted answer can be matched to the username the connector was given.
 */
const TICKET = '@@@@@@';
/** As a form sends it: the placeholder unescaped, so the sender finds it in the body's bytes. */
const FORM_TICKETED_PASSWORD = `${encodeURIComponent(`${GOOD_PASSWORD}-`)}${TICKET}`;
const usernameByTicket = new Map<string, string>();

/** Accepts the good password for anyone and echoes the username into the profile, so escaping is on the wire. */
const echoConnector: PasswordConnector = {
  id: 'echo',
  type: 'test',
  login: async (attempt) => {
    if (!attempt.password.startsWith(`${GOOD_PASSWORD}-`)) return { kind: 'invalid_credentials' };
    usernameByTicket.set(attempt.password.slice(-TICKET.length), attempt.username);
    return {
      kind: 'ok',
      identity: {
        subject: attempt.username, username: attempt.username, emails: ['fuzz@corp.example'], displayName: attempt.username,
        groups: ['Agents'], claims: { jobTitle: attempt.username }, connectorId: 'echo',
      },
    };
  },
};

const RULES = `
defaults:
  user: { usergroup: Registered }
  staff: { designation: "{{ claims.jobTitle }}" }
rules:
  - name: agents
    audience: staff
    when: { groups: { any: [Agents] } }
    set: { team: "{{ username }}" }
`;

// ---------------------------------------------------------------------------------------------------------
// What is sent

const FIELD_NAMES = ['username', 'password', 'ipaddress', 'interface'] as const;
const XML_TRICKS = [
  '<', '>', '&', '"', "'", ']]>', '<![CDATA[x]]>', '&amp;', '&lt;b&gt;', '&#0;', '&#x1F;', '&#xD800;', '&e;',
  '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>', '<!ENTITY % p "x">', '<?xml version="1.0"?>',
  '</fullname><result>1</result>', '</loginshare>', '<user><usergroup>Administrators</usergroup></user>', '\u0000',
  '\r\n', '\u2028', '\uFEFF', '\uFFFE', '\uD800', '\uDFFF', '🙂', 'A\u030A', 'ＡＤＭＩＮ', '%', '%zz', '%C0%80', '+',
];

/** A value as text: any code points (lone surrogates too), XML meta-characters and entity tricks, control characters. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...XML_TRICKS),
  fc.array(fc.constantFrom(...XML_TRICKS, 'a', 'b', ' ', '@', '.'), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 10 }),
);

/** The bytes of one form value: percent-encoded UTF-8, raw (structure characters and all), or arbitrary bytes (invalid UTF-8). */
const formValue = fc.oneof(
  { weight: 4, arbitrary: hostileText.map((text) => percentEncode(Buffer.from(text, 'utf8'))) },
  { weight: 2, arbitrary: hostileText.map((text) => Buffer.from(text, 'utf8')) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 24 }).map((bytes) => percentEncode(Buffer.from(bytes))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant(Buffer.from(FORM_TICKETED_PASSWORD)) },
  // Huge: long passwords and usernames, over the field limits and over the body limit.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '%FF', '%E2%82%AC', '<', '&amp;'), fc.integer({ min: 200, max: 12_000 })).map(([unit, n]) => Buffer.from(unit.repeat(n))) },
);

const fieldName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom('USERNAME', 'username[]', 'user name', 'pass%77ord', '', '=', '&') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

type Field = { name: string; value: Buffer };
/** Mostly the LoginShare fields (missing ones, duplicates, extras), sometimes anything. */
const fields = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ username: formValue, password: formValue, ipaddress: formValue, interface: formValue, extra: fc.array(fc.record({ name: fieldName, value: formValue }), { maxLength: 3 }) })
      .map(({ extra, ...named }): Field[] => [...Object.entries(named).map(([name, value]) => ({ name, value })), ...extra]),
  },
  { weight: 2, arbitrary: fc.array(fc.record({ name: fieldName, value: formValue }), { maxLength: 8 }) },
).chain((list) => fc.shuffledSubarray(list, { minLength: Math.max(0, list.length - 2) }));

/** A plausible login (so the connector and the answer's profile are reached) with a hostile username. */
const plausibleLogin = fc.record({ username: hostileText, ipaddress: fc.constantFrom('192.0.2.1', '2001:db8::1', '', '<x>'), iface: fc.constantFrom('staff', 'winapp', 'admin', 'Staff') })
  .map(({ username, ipaddress, iface }): Field[] => [
    { name: 'username', value: Buffer.from(encodeFormText(username)) },
    { name: 'password', value: Buffer.from(FORM_TICKETED_PASSWORD) },
    { name: 'ipaddress', value: Buffer.from(encodeURIComponent(ipaddress)) },
    { name: 'interface', value: Buffer.from(iface) },
  ]);

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8', 'application/x-www-form-urlencoded; charset=ISO-8859-1',
  'multipart/form-data; boundary=fuzzboundary', 'text/xml', 'application/json', 'text/plain', '', 'garbage/;;;', 'application/x-www-form-urlencoded, text/html',
];

type Body = { kind: 'form' | 'multipart' | 'json' | 'raw' | 'empty'; bytes: Buffer };
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fields, plausibleLogin).map((list): Body => ({ kind: 'form', bytes: formBody(list) })) },
  { weight: 1, arbitrary: fc.oneof(fields, plausibleLogin).map((list): Body => ({ kind: 'multipart', bytes: multipartBody(list) })) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_NAMES), hostileText).map((o): Body => ({ kind: 'json', bytes: Buffer.from(JSON.stringify(o)) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3_000 }).map((bytes): Body => ({ kind: 'raw', bytes: Buffer.from(bytes) })) },
  { weight: 1, arbitrary: fc.constant<Body>({ kind: 'empty', bytes: Buffer.alloc(0) }) },
);

type Route = 'login' | 'unknown-realm' | 'wrong-key' | 'no-key' | 'bad-path';
interface FuzzRequest {
  audience: 'user' | 'staff';
  route: Route;
  method: 'POST' | 'GET' | 'PUT' | 'DELETE' | 'PATCH';
  contentType: string;
  body: Body;
  /** Sent as a stream of unknown length: chunked transfer encoding. */
  chunked: boolean;
}

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  audience: fc.constantFrom('user', 'staff'),
  route: fc.oneof({ weight: 12, arbitrary: fc.constant<Route>('login') }, { weight: 1, arbitrary: fc.constantFrom<Route>('unknown-realm', 'wrong-key', 'no-key', 'bad-path') }),
  method: fc.oneof({ weight: 15, arbitrary: fc.constant('POST' as const) }, { weight: 1, arbitrary: fc.constantFrom('GET' as const, 'PUT' as const, 'DELETE' as const, 'PATCH' as const) }),
  contentType: fc.oneof({ weight: 3, arbitrary: fc.constant(CONTENT_TYPES[0]!) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
  body,
  chunked: fc.boolean(),
});

function percentEncode(bytes: Buffer): Buffer {
  return Buffer.from([...bytes].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join(''));
}

/** What a form encoder sends for this text; a lone surrogate (which encodeURIComponent refuses) goes as U+FFFD's bytes. */
function encodeFormText(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return percentEncode(Buffer.from(text, 'utf8')).toString('latin1');
  }
}

function formBody(list: Field[]): Buffer {
  return Buffer.concat(list.flatMap((field, i) => [Buffer.from(`${i > 0 ? '&' : ''}${field.name}=`), field.value]));
}

function multipartBody(list: Field[]): Buffer {
  return Buffer.concat([
    ...list.flatMap((field) => [Buffer.from(`--fuzzboundary\r\nContent-Disposition: form-data; name="${field.name}"\r\n\r\n`), field.value, Buffer.from('\r\n')]),
    Buffer.from('--fuzzboundary--\r\n'),
  ]);
}

function pathOf(request: FuzzRequest): string {
  const path = `/loginshare/r/${request.audience}`;
  switch (request.route) {
    case 'login': return `${path}?key=${SECRET}`;
    case 'unknown-realm': return `/loginshare/nope/${request.audience}?key=${SECRET}`;
    case 'wrong-key': return `${path}?key=${SECRET.slice(1)}x`;
    case 'no-key': return path;
    case 'bad-path': return `${path}/extra?key=${SECRET}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// What must come back

const parser = new XMLParser({ parseTagValue: false, trimValues: false, processEntities: true });

/** Well-formed LoginShare XML: one <loginshare> root, result 0 with a message or 1 with the audience's profile. */
function expectLoginShareXml(status: number, contentType: string | undefined, bytes: Buffer, sent: FuzzRequest, ticket: string): void {
  const text = bytes.toString('utf8');
  const context = `${status} ${text.slice(0, 300)}`;
  expect(Buffer.from(text, 'utf8').equals(bytes), `answer is valid UTF-8: ${context}`).toBe(true);
  expect(contentType, context).toBe('text/xml; charset=utf-8');
  expect(XMLValidator.validate(text), context).toBe(true);
  expect(text, context).not.toMatch(/<!DOCTYPE|<!ENTITY|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
  const doc = parser.parse(text) as Record<string, unknown>;
  expect(Object.keys(doc).filter((k) => k !== '?xml'), context).toEqual(['loginshare']);
  const root = doc['loginshare'] as Record<string, unknown>;
  expect(['0', '1'], context).toContain(root['result']);
  if (root['result'] === '0') {
    expect(typeof root['message'] === 'string' && root['message'].length > 0, context).toBe(true);
    return;
  }
  // Accepted: only a real login on a real route, and the profile carries exactly what the connector was given.
  expect(sent.route, context).toBe('login');
  expect(status, context).toBe(200);
  const profile = (sent.audience === 'user' ? root['user'] : root['staff']) as Record<string, unknown>;
  expect(profile, context).toBeTypeOf('object');
  const seen = usernameByTicket.get(ticket);
  expect(seen, `${context}: accepted, but not by the connector with this request's password`).toBeTypeOf('string');
  const expected = xmlCarriable(seen!);
  if (sent.audience === 'user') expect(profile['fullname'] ?? '', context).toBe(expected);
  else expect(profile['team'] ?? '', context).toBe(expected);
}

/** The answer drops what XML 1.0 cannot carry (src/loginshare/answer.ts); everything else arrives unchanged. */
function xmlCarriable(text: string): string {
  return text.replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

function expectedStatus(sent: FuzzRequest): number[] {
  if (sent.route === 'bad-path') return [404];
  if (sent.method !== 'POST') return [405];
  return [200];
}

// ---------------------------------------------------------------------------------------------------------

describe('LoginShare endpoints under random and hostile input', () => {
  let server: Server;
  let port: number;
  const errorLines: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    const realmConfig = realmSchema.parse({ id: 'r', secret: SECRET, rules: 'rules.yaml', connectors: [{ use: 'echo' }], staff: { allowAdmin: true } });
    const rules = parseRules(RULES, 'rules.yaml');
    // Only error lines are kept (a bug, not a refusal); the rest is counted away so the heap measures the bridge.
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void (s.includes('"level":50') || s.includes('"level":60') ? errorLines.push(s) : undefined) } });
    const guarded: GuardedRealm = { realm: createRealm(realmConfig, [{ connector: echoConnector }], () => rules), authorizeCaller: createCallerGuard(realmConfig, []) };
    // Limits far above the run, so every request reaches the parser and the connector. The login timeout also
    // bounds how long a body may take to arrive: 5 s lets the slow-loris bodies below (about 2.5 s each) finish.
    const flow = roomyLoginFlow(5_000);
    const listener = createLoginShareListener({ realms: new Map([['r', guarded]]), flow: { ...flow, throttle: noThrottle }, bodyLimitBytes: BODY_LIMIT, log, audit: log, metrics: createMetrics({ defaultMetrics: false }) });
    ({ server, port } = await serveOnLoopback(listener));
    console.info(`[fuzz] seed ${SEED}${REPLAY_PATH ? ` path ${REPLAY_PATH}` : ''}, ${RUNS} requests (replay: LSB_FUZZ_SEED=${SEED})`);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await agent.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it(`${RUNS} random requests: every answer is LoginShare XML, no crash, no unhandled rejection, the heap flat`, async () => {
    const gc = exposeGc();
    let runs = 0;
    let heapAfterWarmup = 0;
    let tickets = 0;
    const tally = new Map<string, number>();
    const send = async (sent: FuzzRequest): Promise<void> => {
      if (++runs === Math.min(1_000, Math.floor(RUNS / 2))) heapAfterWarmup = heapAfterGc(gc);
      const ticket = String(++tickets % 1e6).padStart(TICKET.length, '0');
      const bytes = sent.method === 'GET' ? undefined : withTicket(sent.body.bytes, ticket);
      const response = await request(`http://127.0.0.1:${port}${pathOf(sent)}`, {
        method: sent.method,
        dispatcher: agent,
        headers: { ...(sent.contentType ? { 'content-type': sent.contentType } : {}), 'user-agent': 'SWIFT_LoginShare' },
        // A body of unknown length goes chunked; undici cuts it where the generator did not.
        body: bytes === undefined ? undefined : sent.chunked ? Readable.from(pieces(bytes)) : bytes,
      });
      const answer = Buffer.from(await response.body.arrayBuffer());
      expect(expectedStatus(sent)).toContain(response.statusCode);
      expectLoginShareXml(response.statusCode, response.headers['content-type'] as string | undefined, answer, sent, ticket);
      usernameByTicket.delete(ticket);
      const kind = `${response.statusCode} ${answer.includes('<result>1</result>') ? 'accepted' : 'refused'}`;
      tally.set(kind, (tally.get(kind) ?? 0) + 1);
    };
    // Several requests in flight at once, as Kayako's workers send them; the run's count stays RUNS.
    const batch = fc.array(fuzzRequest, { minLength: BATCH, maxLength: BATCH });
    const sendBatch = async (requests: FuzzRequest[]): Promise<void> => {
      await Promise.all(requests.map(send));
    };
    try {
      await fc.assert(fc.asyncProperty(batch, sendBatch), { numRuns: Math.ceil(RUNS / BATCH), seed: SEED, ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}), endOnFailure: false });
    } catch (err) {
      console.error(`[fuzz] FAILED with seed ${SEED}; replay: LSB_FUZZ_SEED=${SEED} npx vitest run test/http/loginshare-fuzz.test.ts`);
      throw err;
    }
    expect(unhandled).toEqual([]);
    expect(errorLines).toEqual([]);
    const growth = heapAfterGc(gc) - heapAfterWarmup;
    // What the run reached: a run that never got past the parser would prove little.
    console.info(`[fuzz] answers: ${[...tally].map(([kind, n]) => `${kind} ×${n}`).join(', ')}; heap ${(growth / 1e6).toFixed(1)} MB after warm-up`);
    expect(tally.get('200 accepted') ?? 0).toBeGreaterThan(RUNS / 20);
    expect(growth, `heap grew by ${(growth / 1e6).toFixed(1)} MB`).toBeLessThan(16e6);
  }, 180_000);

  it('chunked bodies cut anywhere (inside a UTF-8 sequence, inside a %-escape) answer as the same body sent whole', async () => {
    const cut = fc.tuple(fc.oneof(fields, plausibleLogin).map(formBody), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), fc.constantFrom('user' as const, 'staff' as const));
    await fc.assert(
      fc.asyncProperty(cut, async ([bytes, sizes, audience]) => {
        const sent: FuzzRequest = { audience, route: 'login', method: 'POST', contentType: CONTENT_TYPES[0]!, body: { kind: 'form', bytes }, chunked: true };
        const parts: Buffer[] = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const size = sizes[i % sizes.length]!;
          parts.push(bytes.subarray(at, at + size));
          at += size;
        }
        const common = { port, method: 'POST', path: pathOf(sent), headers: { 'content-type': sent.contentType, 'x-request-id': 'fuzz-1' } };
        const whole = await sendRaw({ ...common, pieces: [bytes], chunked: false });
        expectLoginShareXml(whole.status, whole.headers['content-type'], whole.body, sent, TICKET);
        const chunked: RawResponse = await sendRaw({ ...common, pieces: parts, chunked: true });
        expect(chunked.status).toBe(whole.status);
        expect(chunked.body.toString('utf8')).toBe(whole.body.toString('utf8'));
      }),
      { numRuns: 200, seed: SEED },
    );
  }, 60_000);

  it('slow-loris bodies: each trickling login is answered in XML, and logins beside them are not held up', async () => {
    const slowBody = formBody([
      { name: 'username', value: Buffer.from('slow%20%E2%82%AC') },
      { name: 'password', value: Buffer.from(FORM_TICKETED_PASSWORD) },
      { name: 'ipaddress', value: Buffer.from('192.0.2.9') },
    ]);
    const trickling = Array.from({ length: 20 }, () => sendRaw({
      port, method: 'POST', path: `/loginshare/r/user?key=${SECRET}`, headers: { 'content-type': CONTENT_TYPES[0]! },
      // One byte every 25 ms: about two seconds per body.
      pieces: [...slowBody].map((b) => Buffer.from([b])), chunked: false, pauseMs: 25,
    }));
    let firstTrickleAnsweredAt = Number.POSITIVE_INFINITY;
    for (const answer of trickling) void answer.then(() => (firstTrickleAnsweredAt = Math.min(firstTrickleAnsweredAt, Date.now())), () => undefined);
    for (let i = 0; i < 20; i++) {
      const response = await request(`http://127.0.0.1:${port}/loginshare/r/user?key=${SECRET}`, {
        method: 'POST', dispatcher: agent, headers: { 'content-type': CONTENT_TYPES[0]! }, body: `username=quick&password=${FORM_TICKETED_PASSWORD}&ipaddress=192.0.2.8`,
      });
      expect(await response.body.text()).toMatch(/<result>1<\/result>/);
    }
    // All twenty answered while the trickling bodies (over two seconds each) were still arriving.
    expect(Date.now()).toBeLessThan(firstTrickleAnsweredAt);
    for (const answer of await Promise.all(trickling)) {
      expect(answer.status).toBe(200);
      expect(answer.body.toString('utf8')).toMatch(/<result>1<\/result>[\s\S]*<fullname>slow €<\/fullname>/);
    }
  }, 60_000);
});

const noThrottle: LoginThrottle = {
  forLogin: () => ({ admit: () => 'allowed' as const, recordFailure: () => false, recordSuccess: () => undefined }),
  lockouts: async () => [],
  unlock: async () => false,
};

/** The body with every ticket placeholder replaced by this request's number. */
function withTicket(bytes: Buffer, ticket: string): Buffer {
  if (bytes.indexOf(TICKET) < 0) return bytes;
  const copy = Buffer.from(bytes);
  for (let at = copy.indexOf(TICKET); at >= 0; at = copy.indexOf(TICKET, at)) copy.write(ticket, at, 'latin1');
  return copy;
}

/** The body as a stream of unknown length, so undici sends it chunked. */
async function* pieces(bytes: Buffer): AsyncGenerator<Buffer> {
  const half = bytes.length >> 1;
  yield bytes.subarray(0, half);
  yield bytes.subarray(half);
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
