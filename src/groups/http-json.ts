import { readBoundedBody } from '../login/bounded-body.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import type { Deadline } from '../login/deadline.js';
import { sharedUpstreamAgent } from '../login/upstream-agent.js';
import { GroupLookupError } from './group-lookup-error.js';

/**
 * One GET to a directory API (Microsoft Graph, Okta), bounded in time and size, through the connector's
 * dispatcher (its proxy and CA settings, login/upstream-agent.ts) or else the bridge's shared proxy-aware one:
 * group lookups are rare (cache misses), so they need no pool of their own, and nothing here outlives a call. Redirects are not followed: a bearer token must not travel to another host.
 */
export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body; undefined when it is empty or not JSON. */
  body: unknown;
}

export interface GetJsonOptions {
  headers: Record<string, string>;
  /** The caller's deadline. */
  signal: AbortSignal;
  /** Bound on this one call. */
  timeoutMs: number;
  /** A Graph page of 999 groups is a few hundred KiB; anything far larger is not a group list. */
  maxBytes?: number;
  /** The connector's dispatcher; default: the shared upstream agent. */
  dispatcher?: Dispatcher | undefined;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export async function getJson(url: string, options: GetJsonOptions): Promise<JsonResponse> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const host = new URL(url).host;
  try {
    const response = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...options.headers },
      signal,
      dispatcher: options.dispatcher ?? sharedUpstreamAgent(),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const text = (
      await readBoundedBody(response.body, {
        maxBytes,
        tooLarge: () => new GroupLookupError('ERR_GROUPS_RESPONSE_TOO_LARGE', `${host} answered with more than ${maxBytes} bytes`),
      })
    ).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, headers: response.headers, body };
  } catch (err) {
    if (err instanceof GroupLookupError) throw err;
    const timedOut = signal.aborted && !options.signal.aborted;
    throw new GroupLookupError(
      timedOut ? 'ERR_GROUPS_TIMEOUT' : 'ERR_GROUPS_UNREACHABLE',
      timedOut ? `${host} did not answer within ${options.timeoutMs} ms` : `${host} unreachable: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Throttled (429) or briefly unavailable (503): the answers that come with a time to try again. */
const RETRYABLE_STATUSES = new Set([429, 503]);
/** The retry must still have this long for itself once the wait is over. */
const MIN_TIME_FOR_RETRY_MS = 250;

export interface RetryingGetOptions extends Omit<GetJsonOptions, 'signal'> {
  deadline: Deadline;
  /** When the API says to come back, in ms from now; default: the Retry-After header. */
  retryAfterMs?(response: JsonResponse): number | undefined;
}

/**
 * `getJson`, and — when the API answers 429 or 503 with a time to come back that fits in the login's deadline —
 * one retry after that wait. Only one: a directory that throttles again gets its answer reported, and a wait
 * that would outlast the login is not started at all (the person would only wait longer for the same failure).
 */
export async function getJsonRetryingOnce(url: string, options: RetryingGetOptions): Promise<JsonResponse> {
  const { deadline, retryAfterMs: waitFor = (r) => retryAfterMs(r.headers), ...rest } = options;
  const first = await getJson(url, { ...rest, signal: deadline.signal });
  if (!RETRYABLE_STATUSES.has(first.status)) return first;
  const waitMs = waitFor(first);
  if (waitMs === undefined || waitMs + MIN_TIME_FOR_RETRY_MS > deadline.remainingMs()) return first;
  try {
    await sleep(waitMs, undefined, { signal: deadline.signal });
  } catch {
    return first;
  }
  return getJson(url, { ...rest, signal: deadline.signal });
}

/** RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfterMs(headers: JsonResponse['headers'], now = Date.now()): number | undefined {
  const value = headerValues(headers, 'retry-after')[0]?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A header's values, whether undici gave one string or several. */
export function headerValues(headers: JsonResponse['headers'], name: string): string[] {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Paging links are followed only on the API's own origin, so a bearer token never leaves it. */
export function sameOrigin(link: string, base: string): boolean {
  try {
    return new URL(link).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
