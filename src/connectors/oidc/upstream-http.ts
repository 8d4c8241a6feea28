import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { callTimeoutMs, type Deadline } from '../../login/deadline.js';

/**
 * The HTTP client for the IdP's token endpoint, JWKS and userinfo: undici's dispatcher API on a keep-alive pool
 * of our own, bounded in time and size. Every call gets its deadline (the login's) and headers directly, so
 * nothing about a login has to travel in AsyncLocalStorage. Redirects are never followed: a
 * password or bearer token must not travel to another host (and a token endpoint does not redirect).
 */
export interface UpstreamHttpOptions {
  connectTimeoutMs: number;
  /**
   * Bounds each call: the wait for the response headers, and each wait for more of the body; both are cut to
   * the time the login has left. Enforced with undici's own timers rather than an AbortSignal per call or per
   * login: on Node 20 a signal costs ~8–15 µs, combining two (`AbortSignal.any`) ~30 µs more, and a
   * `AbortSignal.timeout` stays in memory until it would have fired — tens of MB at a few hundred logins/s
   * (docs/benchmarks.md). undici's timers are coarse: a bound of a second or more may fire up to about half a
   * second late. (The login's answer does not wait for them: login-flow.ts races the deadline.)
   */
  requestTimeoutMs: number;
  /** Responses larger than this are refused (a token response is a few KiB; a JWKS rarely more than 20 KiB). */
  maxResponseBytes?: number;
  maxConnections?: number;
}

/** An IdP URL split once into what undici's dispatcher wants, so no URL is parsed per call. */
export interface Endpoint {
  readonly href: string;
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  readonly host: string;
}

export interface UpstreamCall {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /**
   * The login's deadline: the call's timeouts are cut to the time it has left. Absent only for work shared by
   * several logins (a JWKS fetch), which each wait on with their own.
   */
  deadline?: Deadline;
}

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface UpstreamHttp {
  call(endpoint: Endpoint, call: UpstreamCall): Promise<UpstreamAnswer>;
  close(): Promise<void>;
}

export class UpstreamResponseTooLarge extends Error {
  readonly code = 'ERR_UPSTREAM_RESPONSE_TOO_LARGE';
}

/** An http: URL where https: is required, or a scheme that is neither (oauth4webapi refused these too). */
export class InsecureEndpointError extends Error {
  readonly code = 'ERR_OIDC_INSECURE_ENDPOINT';
}

export function endpointOf(url: string, allowInsecureHttp: boolean): Endpoint {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new InsecureEndpointError(`${parsed.protocol} endpoints are not supported (${parsed.host}): only HTTP or HTTPS`);
  }
  if (parsed.protocol === 'http:' && !allowInsecureHttp) {
    throw new InsecureEndpointError(`only requests to HTTPS are allowed (${parsed.href})`);
  }
  return { href: parsed.href, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}`, host: parsed.host };
}

/** Names the bridge in the IdP's logs, on every call it makes. */
export const USER_AGENT = 'loginshare-bridge';

const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

export function createUpstreamHttp(options: UpstreamHttpOptions): UpstreamHttp {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 300_000,
    connections: options.maxConnections ?? 256,
    connect: { timeout: options.connectTimeoutMs },
  });
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.requestTimeoutMs;

  const call = async (endpoint: Endpoint, spec: UpstreamCall): Promise<UpstreamAnswer> => {
    let response: Dispatcher.ResponseData;
    try {
      response = await agent.request({
        origin: endpoint.origin,
        path: endpoint.path,
        method: spec.method,
        headers: spec.headers,
        body: spec.body ?? null,
        headersTimeout: callTimeoutMs(spec.deadline, timeoutMs),
        bodyTimeout: callTimeoutMs(spec.deadline, timeoutMs),
      });
    } catch (err) {
      throw asTimeout(err, endpoint);
    }
    let body: Buffer;
    try {
      body = await readBounded(response.body, maxBytes, endpoint, spec.deadline);
    } catch (err) {
      throw asTimeout(err, endpoint);
    }
    return { status: response.statusCode, headers: response.headers, body };
  };

  return { call, close: () => agent.close() };
}

/**
 * Collects a response body with plain stream events (one promise, not one per chunk as `for await` costs). A body
 * that trickles in is cut at the deadline: undici's body timeout only bounds each wait for the next chunk.
 */
function readBounded(body: Readable, maxBytes: number, endpoint: Endpoint, deadline: Deadline | undefined): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      if (deadline !== undefined && deadline.remainingMs() <= 0) {
        body.destroy();
        reject(new DOMException(`${endpoint.host} still sending its answer at the login deadline`, 'TimeoutError'));
        return;
      }
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy();
        reject(new UpstreamResponseTooLarge(`response from ${endpoint.host} exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    body.once('error', reject);
  });
}

/** undici's own timeouts, reported like an expired AbortSignal.timeout so callers see one kind of timeout. */
function asTimeout(err: unknown, endpoint: Endpoint): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    const timeout = new DOMException(`no answer from ${endpoint.host} in time`, 'TimeoutError');
    (timeout as { cause?: unknown }).cause = err;
    return timeout;
  }
  return err;
}

/** A header's first value, whether undici gave one string or several. */
export function headerValue(answer: UpstreamAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The media type as oauth4webapi compared it: everything before the first `;`, as sent (no trimming or case
 * folding), so answers it refused are refused here too.
 */
export function mediaType(answer: UpstreamAnswer): string | undefined {
  return headerValue(answer, 'content-type')?.split(';')[0];
}

/** A JSON body, or undefined when it is not JSON (like `Response.json()`, a leading byte-order mark is skipped). */
export function parseJson(answer: UpstreamAnswer): { value: unknown } | undefined {
  let text = answer.body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RFC 6750 §3 / RFC 7235: the server asks for (other) credentials. oauth4webapi refused any non-200 answer that
 * carried a parsable challenge before looking at its body; kept so outcomes stay as they were.
 */
export function hasAuthenticationChallenge(answer: UpstreamAnswer): boolean {
  const header = headerValue(answer, 'www-authenticate');
  return header !== undefined && /^[,\s]*[a-zA-Z0-9!#$%&'*+\-.^_`|~]+(?:$|[\s,])/.test(header);
}

/** The IdP answered, but not with something usable; `outcome` says whose problem that is. */
export class UpstreamAnswerInvalid extends Error {
  constructor(
    readonly code: string,
    readonly outcome: 'misconfigured' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamAnswerInvalid';
  }
}
