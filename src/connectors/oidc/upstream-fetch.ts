import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import type { CustomFetch } from 'openid-client';

/**
 * The HTTP client for IdP calls. openid-client speaks `fetch`; this gives it a keep-alive connection pool
 * (undici's lower-level `request`, measurably cheaper than global fetch — see field notes), bounds response
 * size, and ties each call to the current login: its deadline (AbortSignal) and per-login headers such as
 * Auth0's forwarded-for. openid-client has no per-call options for those, so they travel in an
 * AsyncLocalStorage scope opened by `withUpstreamContext`.
 */
export interface UpstreamContext {
  signal: AbortSignal;
  headers?: Record<string, string>;
}

const scope = new AsyncLocalStorage<UpstreamContext>();

export function withUpstreamContext<T>(context: UpstreamContext, run: () => Promise<T>): Promise<T> {
  return scope.run(context, run);
}

export interface UpstreamFetchOptions {
  connectTimeoutMs: number;
  /**
   * Bounds each call: the wait for the response headers, and each wait for more of the body. Enforced with
   * undici's own timers rather than an `AbortSignal.timeout` per call: on Node 20 such a signal costs ~15 µs,
   * combining it with the login's signal (`AbortSignal.any`) ~30 µs more, and both stay in memory until the
   * timeout would have fired — tens of MB at a few hundred logins/s (docs/benchmarks.md). undici's timers are
   * coarse: a bound of a second or more may fire up to about half a second late.
   */
  requestTimeoutMs?: number;
  /** Responses larger than this are refused (a token response is a few KiB; Graph pages tens of KiB). */
  maxResponseBytes?: number;
  maxConnections?: number;
}

export class UpstreamResponseTooLarge extends Error {
  readonly code = 'ERR_UPSTREAM_RESPONSE_TOO_LARGE';
}

export interface UpstreamFetch {
  fetch: CustomFetch;
  close(): Promise<void>;
}

export function createUpstreamFetch(options: UpstreamFetchOptions): UpstreamFetch {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 300_000,
    connections: options.maxConnections ?? 256,
    connect: { timeout: options.connectTimeoutMs },
  });
  const maxBytes = options.maxResponseBytes ?? 2 * 1024 * 1024;

  const timeoutMs = options.requestTimeoutMs;

  const fetch: CustomFetch = async (url, init) => {
    const context = scope.getStore();
    // Usually only the login's signal is set (the connector turns off openid-client's own per-call signal).
    const signal = init.signal && context?.signal ? AbortSignal.any([init.signal, context.signal]) : (init.signal ?? context?.signal);
    const headers = context?.headers ? { ...init.headers, ...context.headers } : init.headers;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: init.method as 'GET' | 'POST',
        headers,
        body: bodyOf(init.body),
        signal,
        dispatcher: agent,
        ...(timeoutMs ? { headersTimeout: timeoutMs, bodyTimeout: timeoutMs } : {}),
      });
    } catch (err) {
      throw asTimeout(err, url);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          response.body.destroy();
          throw new UpstreamResponseTooLarge(`response from ${new URL(url).host} exceeds ${maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      throw asTimeout(err, url);
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
      else if (value !== undefined) responseHeaders.set(name, value);
    }
    const status = response.statusCode;
    const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
    return new Response(body, { status, headers: responseHeaders });
  };

  return { fetch, close: () => agent.close() };
}

/** undici's own timeouts, reported like an expired AbortSignal.timeout so callers see one kind of timeout. */
function asTimeout(err: unknown, url: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
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
