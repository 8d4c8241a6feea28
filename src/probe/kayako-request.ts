import http from 'node:http';
import https from 'node:https';
import { phpUrlencode } from './php-semantics.js';

/**
 * The HTTP request Kayako 4 sends to a LoginShare URL (SWIFT_LoginShare::DispatchPOST, protocol note
 * "The request Kayako sends"): a curl POST with the fields urlencode()d in this order, the User-Agent
 * SWIFT_LoginShare, a 100 s total timeout, no redirect following on modern PHP, and only the body kept.
 */

/** The user URL receives exactly these three fields, in this order. */
export interface UserLoginShareFields {
  username: string;
  password: string;
  ipaddress: string;
}

/** The staff URL also receives the lower-case interface name (staff, admin, winapp, staffapi...). */
export interface StaffLoginShareFields extends UserLoginShareFields {
  interface: string;
}

export const KAYAKO_USER_AGENT = 'SWIFT_LoginShare';
/** CURLOPT_TIMEOUT 100: a total deadline for the whole exchange. */
export const KAYAKO_TIMEOUT_MS = 100_000;
/** Kayako keeps any size; a probe does not need more than this to judge an answer. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface KayakoPostOptions {
  timeoutMs?: number;
  /** Kayako does not verify TLS certificates; a probe does unless told otherwise. */
  verifyTls?: boolean;
  signal?: AbortSignal;
}

export interface KayakoPostResult {
  /** What Kayako parses: the bytes received, even after a timeout (curl keeps what arrived). */
  body: Uint8Array;
  /** For the operator only; Kayako ignores status and headers. */
  status?: number;
  location?: string;
  contentType?: string;
  timedOut: boolean;
  /** Connection-level failure (refused, DNS, TLS...): Kayako then sees an empty body. */
  networkError?: string;
  bodyTruncated: boolean;
  elapsedMs: number;
}

/** The form body exactly as Kayako builds it: key=urlencode(value) joined by "&", keys in this order. */
export function encodeLoginShareForm(fields: UserLoginShareFields | StaffLoginShareFields): string {
  const ordered: [string, string][] = [
    ['username', fields.username],
    ['password', fields.password],
    ['ipaddress', fields.ipaddress],
  ];
  if ('interface' in fields) ordered.push(['interface', fields.interface]);
  return ordered.map(([key, value]) => `${key}=${phpUrlencode(value)}`).join('&');
}

/** POST the fields to a LoginShare URL the way Kayako does and collect what Kayako would read. */
export function postLikeKayako(
  url: string | URL,
  fields: UserLoginShareFields | StaffLoginShareFields,
  options: KayakoPostOptions = {},
): Promise<KayakoPostResult> {
  const target = new URL(url);
  const payload = Buffer.from(encodeLoginShareForm(fields), 'utf8');
  const timeoutMs = options.timeoutMs ?? KAYAKO_TIMEOUT_MS;
  const started = performance.now();
  const transport = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (transport === undefined) return Promise.reject(new TypeError(`Unsupported URL scheme ${target.protocol}`));

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let bodyTruncated = false;
    let settled = false;
    let response: http.IncomingMessage | undefined;

    const finish = (extra: { timedOut?: boolean; networkError?: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const result: KayakoPostResult = {
        body: new Uint8Array(Buffer.concat(chunks)),
        timedOut: extra.timedOut ?? false,
        bodyTruncated,
        elapsedMs: Math.round(performance.now() - started),
      };
      if (response?.statusCode !== undefined) result.status = response.statusCode;
      if (response?.headers.location !== undefined) result.location = response.headers.location;
      if (response?.headers['content-type'] !== undefined) result.contentType = response.headers['content-type'];
      if (extra.networkError !== undefined) result.networkError = extra.networkError;
      resolve(result);
    };

    const request = transport.request(target, {
      method: 'POST',
      agent: false,
      rejectUnauthorized: options.verifyTls ?? true,
      headers: {
        'User-Agent': KAYAKO_USER_AGENT,
        Accept: '*/*',
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': String(payload.length),
      },
    });
    const timer = setTimeout(() => {
      finish({ timedOut: true });
      request.destroy();
    }, timeoutMs);
    const onAbort = (): void => {
      finish({ networkError: 'aborted' });
      request.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('response', (res) => {
      response = res;
      res.on('data', (chunk: Buffer) => {
        if (received + chunk.length > MAX_BODY_BYTES) {
          chunks.push(chunk.subarray(0, MAX_BODY_BYTES - received));
          received = MAX_BODY_BYTES;
          bodyTruncated = true;
          finish({});
          request.destroy();
          return;
        }
        chunks.push(chunk);
        received += chunk.length;
      });
      res.on('end', () => finish({}));
      // A connection cut mid-body: curl returns what arrived, and so do we.
      res.on('error', () => finish({}));
      res.on('aborted', () => finish({}));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish({ networkError: error.code ?? error.message }));
    request.end(payload);
  });
}
