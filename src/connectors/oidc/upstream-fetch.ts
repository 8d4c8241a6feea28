import { readBoundedBody } from '../../login/bounded-body.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { request, type Dispatcher } from 'undici';
import type { CustomFetch, CustomFetchOptions } from 'openid-client';
import { callTimeoutMs, type Deadline } from '../../login/deadline.js';
import { createUpstreamAgent } from '../../login/upstream-agent.js';

/**
 * openid-client's `customFetch`: a keep-alive undici dispatcher shared by every login of the connector (through
 * the forward proxy of HTTPS_PROXY / HTTP_PROXY unless NO_PROXY names the host, login/upstream-agent.ts), each call
 * bounded by the login's deadline (undici's connect/headers/body timeouts cut to the time left, so no AbortSignal
 * is made per call), responses bounded in size, and redirects never followed (undici's `request` has no redirect
 * handling unless an interceptor adds one: a 3xx comes back to openid-client as it is, which refuses it — a
 * password or bearer token must not travel to another host).
 *
 * Hand-written because openid-client has no per-call options for its grant or userinfo calls: the login's
 * deadline and per-login headers (Auth0's forwarded-for) travel in an AsyncLocalStorage scope opened by
 * `withLogin`, read here.
 */
export interface UpstreamContext {
  deadline: Deadline;
  headers?: Record<string, string> | undefined;
}

const scope = new AsyncLocalStorage<UpstreamContext>();

export function withLogin<T>(context: UpstreamContext, run: () => Promise<T>): Promise<T> {
  return scope.run(context, run);
}

export interface UpstreamFetchOptions {
  connectTimeoutMs: number;
  /** Bounds each call (headers, and each wait for more of the body), cut to the login's time left. */
  requestTimeoutMs: number;
  /** The JWKS URL, whose last good answer is kept (see `fetch`). */
  jwksUrl?: string | undefined;
  /** Responses larger than this are refused (a token response is a few KiB; a JWKS rarely more than 20 KiB). */
  maxResponseBytes?: number;
  maxConnections?: number;
  /** PEM CA certificates trusted beside Node's roots (the connector's `caFile`). */
  ca?: string | undefined;
}

export class UpstreamResponseTooLarge extends Error {
  readonly code = 'ERR_UPSTREAM_RESPONSE_TOO_LARGE';
}

export interface UpstreamFetch {
  fetch: CustomFetch;
  /** Sets the JWKS URL once discovery has named it. */
  setJwksUrl(url: string | undefined): void;
  /** The connector's dispatcher, for its other upstream calls (group APIs). */
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

export const USER_AGENT = 'loginshare-bridge';

/** How long a login waits for a key-set refresh before it verifies with the last good key set. */
const JWKS_REFRESH_WAIT_MS = 1_000;

export function createUpstreamFetch(options: UpstreamFetchOptions): UpstreamFetch {
  const agent = createUpstreamAgent({
    connectTimeoutMs: options.connectTimeoutMs,
    ca: options.ca,
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
  });
  const maxBytes = options.maxResponseBytes ?? 2 * 1024 * 1024;
  let jwksUrl = options.jwksUrl;
  let lastJwks: { body: Buffer; headers: HeaderPairs } | undefined;

  const call = async (url: string, init: CustomFetchOptions): Promise<Response> => {
    const context = scope.getStore();
    const timeout = callTimeoutMs(context?.deadline, options.requestTimeoutMs);
    // openid-client hands its headers over as a plain object with lower-case names.
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...init.headers };
    if (context?.headers) Object.assign(headers, context.headers);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
        headers,
        body: bodyOf(init.body),
        dispatcher: agent,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (err) {
      throw asTimeout(err, url);
    }
    let received: Buffer;
    try {
      received = await readBoundedBody(response.body, {
        maxBytes,
        tooLarge: () => new UpstreamResponseTooLarge(`response from ${new URL(url).host} exceeds ${maxBytes} bytes`),
        deadline: context && { deadline: context.deadline, tooLate: () => new DOMException(`no complete answer from ${new URL(url).host} in time`, 'TimeoutError') },
      });
    } catch (err) {
      throw asTimeout(err, url);
    }
    const responseHeaders = headerPairs(response.headers);
    const status = response.statusCode;
    const body = status === 204 || status === 304 ? null : received;
    if (url === jwksUrl && status === 200 && body) lastJwks = { body, headers: responseHeaders };
    return new Response(body, { status, headers: responseHeaders });
  };

  // A refresh of the key set that is still out, shared by the logins that need the key set meanwhile; it settles
  // to whether it brought a new key set (which `call` then keeps in `lastJwks`).
  let refreshing: Promise<boolean> | undefined;

  const fetch: CustomFetch = async (url, init) => {
    if (url !== jwksUrl || lastJwks === undefined) return call(url, init);
    // openid-client drops its cached JWKS after 5 minutes and refetches it inline; a JWKS outage then would stop
    // every login, even those signed with a key it already had. The last good key set stands in for a refresh
    // that fails, or that has not answered within a short wait (a JWKS behind a firewall that accepts and never
    // answers would otherwise hold each login to its deadline); the refresh goes on in the background and, when
    // it lands, replaces the kept set. An unknown key id still fails: it is not in the kept set either.
    refreshing ??= call(url, init).then(
      (response) => response.status === 200,
      () => false,
    ).finally(() => (refreshing = undefined));
    const left = scope.getStore()?.deadline.remainingMs() ?? JWKS_REFRESH_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.min(JWKS_REFRESH_WAIT_MS, left / 3))));
    try {
      await Promise.race([refreshing, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
    // The set just fetched if the refresh made it in time, the last good one otherwise.
    const keys = lastJwks;
    return new Response(keys.body, { status: 200, headers: keys.headers });
  };

  return {
    fetch,
    setJwksUrl: (url) => (jwksUrl = url),
    dispatcher: agent,
    close: () => agent.close(),
  };
}

type HeaderPairs = [string, string][];

/**
 * undici's header record as name/value pairs for the web `Response`: given pairs, the Response fills its headers
 * in one pass, where a `Headers` built first would be copied again in sorted order.
 */
function headerPairs(headers: Dispatcher.ResponseData['headers']): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) for (const v of value) pairs.push([name, v]);
    else if (value !== undefined) pairs.push([name, value]);
  }
  return pairs;
}

/** undici's own timeouts, reported like an expired AbortSignal.timeout so callers see one kind of timeout. */
function asTimeout(err: unknown, url: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    const timeout = new DOMException(`no answer from ${new URL(url).host} in time`, 'TimeoutError');
    (timeout as { cause?: unknown }).cause = err;
    return timeout;
  }
  return err;
}

function bodyOf(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('unsupported upstream request body');
}
