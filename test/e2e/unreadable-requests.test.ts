import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/connectors/local/password-hash.js';
import { readLoginShareAnswer } from '../../src/probe/kayako-judge.js';
import { startTestBridge, type TestBridge } from '../support/bridge-harness.js';

/**
 * What no HTTP client library sends, written as bytes on a socket to a real bridge: requests Node's parser cannot
 * read, and a body that stops half-way. Kayako reads only the body, so each still gets a LoginShare packet, and
 * the connection is closed after it.
 */
const SECRET = 'kayako-caller-secret-for-tests';
const PATH = `/loginshare/main/user?key=${SECRET}`;
let t: TestBridge;
let port: number;

beforeAll(async () => {
  const hash = await hashPassword('alice-password', { ln: 10, r: 8, p: 1 });
  t = await startTestBridge({
    rules: 'rules: []\n',
    config: `
server:
  loginTimeoutMs: 1000
connectors:
  - id: local
    type: local
    users:
      - { username: alice, passwordHash: "${hash}", email: alice@example.com, fullName: Alice Archer }
realms:
  - id: main
    secret: ${SECRET}
    rules: rules.yaml
    connectors: [{ use: local }]
`,
  });
  port = Number(new URL(t.baseUrl).port);
});
afterAll(async () => {
  await t?.stop();
});

interface Answer {
  status: number;
  headers: string;
  body: string;
}

/** Writes `bytes`, then reads until the bridge closes the connection; every HTTP answer it sent, in order. */
function exchange(bytes: string): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    socket.once('error', reject);
    socket.once('close', () => resolve(answersIn(Buffer.concat(received).toString('utf8'))));
    socket.once('connect', () => socket.write(bytes));
  });
}

function answersIn(raw: string): Answer[] {
  const answers: Answer[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const headers = rest.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    answers.push({ status: Number(headers.slice(9, 12)), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  expect(rest, 'bytes after the last answer').toBe('');
  return answers;
}

function expectRefusalXml(answer: Answer | undefined): void {
  expect(answer?.headers).toMatch(/content-type: text\/xml; charset=utf-8/i);
  expect(readLoginShareAnswer(answer?.body ?? '', 'user')).toMatchObject({ accepted: false, kayakoMessage: expect.stringMatching(/incomplete/) });
}

const FORM = 'username=alice&password=alice-password&ipaddress=203.0.113.7';

describe('requests Node cannot parse, answered in LoginShare XML', () => {
  it('a chunk size that is not hexadecimal: 400 with the packet', async () => {
    const answers = await exchange(`POST ${PATH} HTTP/1.1\r\nhost: bridge\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n${FORM}\r\n0\r\n\r\n`);
    expect(answers.map((a) => a.status)).toEqual([400]);
    expectRefusalXml(answers[0]);
  });

  it('both Content-Length and Transfer-Encoding (request smuggling): 400 with the packet', async () => {
    const answers = await exchange(`POST ${PATH} HTTP/1.1\r\nhost: bridge\r\ncontent-length: ${FORM.length}\r\ntransfer-encoding: chunked\r\n\r\n${FORM}`);
    expect(answers.map((a) => a.status)).toEqual([400]);
    expectRefusalXml(answers[0]);
  });

  it('headers over 16 KiB: 431 with the packet', async () => {
    const answers = await exchange(`POST ${PATH} HTTP/1.1\r\nhost: bridge\r\nx-padding: ${'a'.repeat(20_000)}\r\ncontent-length: 0\r\n\r\n`);
    expect(answers.map((a) => a.status)).toEqual([431]);
    expectRefusalXml(answers[0]);
  });

  it('a Content-Length shorter than the body: the bytes after it are no request, and get a 400 packet', async () => {
    // Whether the five-byte body is answered first depends on when the parser meets the rest; either way every
    // answer is a refusal in XML and the last one is the 400.
    const answers = await exchange(`POST ${PATH} HTTP/1.1\r\nhost: bridge\r\ncontent-length: 5\r\n\r\n${FORM}`);
    expect(answers.at(-1)?.status).toBe(400);
    for (const answer of answers) expect(readLoginShareAnswer(answer.body, 'user')).toMatchObject({ accepted: false });
    expectRefusalXml(answers.at(-1));
  });
});

describe('a body that stops arriving', () => {
  it('is answered as incomplete within the login timeout, and the connection closes', async () => {
    const answers = await exchange(`POST ${PATH} HTTP/1.1\r\nhost: bridge\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nusername=alice&pass`);
    expect(answers.map((a) => a.status)).toEqual([200]);
    expect(answers[0]!.headers).toMatch(/connection: close/i);
    expectRefusalXml(answers[0]);
    expect(t.logLines.some((line) => line.reason === 'body not received in time')).toBe(true);
  });
});
