import { readBoundedBody } from '../../login/bounded-body.js';
import { request } from 'undici';
import { callTimeoutMs, type Deadline } from '../../login/deadline.js';
import { createUpstreamAgent } from '../../login/upstream-agent.js';
import { ECP_REQUEST_HEADERS } from './soap-envelope.js';

/**
 * The one HTTP call of an ECP login: the SOAP envelope POSTed to the IdP's ECP endpoint with the person's
 * username and password as HTTP Basic credentials (SAML 2.0 ECP leaves the authentication to the IdP; Keycloak and
 * Shibboleth both take Basic). A keep-alive undici dispatcher per connector, the one every upstream call uses
 * (`login/upstream-agent.ts`: through the forward proxy of HTTPS_PROXY unless NO_PROXY names the host, with the
 * connector's `caFile` trusted beside Node's roots); each call bounded by undici's own
 * connect/headers/body timers, cut to the login's time left (see `src/login/deadline.ts`), so a hung IdP answers
 * `unavailable` within the deadline; the answer bounded in size; redirects never followed (undici's `request` does
 * not): a password must not travel to another host.
 */
export interface EcpPostOptions {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** An ECP answer is a few KiB; anything far larger is refused unread. */
  maxResponseBytes?: number;
  /** PEM CA certificates trusted beside Node's roots (the connector's `caFile`). */
  ca?: string | undefined;
}

export interface EcpHttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

export class EcpTimeout extends Error {
  readonly code = 'ERR_SAML_IDP_TIMEOUT';
}

export class EcpAnswerTooLarge extends Error {
  readonly code = 'ERR_SAML_ANSWER_TOO_LARGE';
}

export interface EcpPoster {
  post(url: string, envelope: string, credentials: { username: string; password: string }, deadline: Deadline): Promise<EcpHttpAnswer>;
  close(): Promise<void>;
}

export function createEcpPoster(options: EcpPostOptions): EcpPoster {
  const agent = createUpstreamAgent({ connectTimeoutMs: options.connectTimeoutMs, ca: options.ca });
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;

  return {
    async post(url, envelope, credentials, deadline) {
      const host = new URL(url).host;
      if (deadline.remainingMs() <= 0) throw new EcpTimeout(`no time left to ask ${host}`);
      const timeout = callTimeoutMs(deadline, options.requestTimeoutMs);
      // RFC 7617: user-id and password joined by a colon, UTF-8, base64. A colon in the username cannot be sent.
      const authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(url, {
          method: 'POST',
          headers: { ...ECP_REQUEST_HEADERS, authorization, 'user-agent': 'loginshare-bridge' },
          body: envelope,
          dispatcher: agent,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
      } catch (err) {
        throw asTimeout(err, host);
      }
      let body: Buffer;
      try {
        body = await readBoundedBody(response.body, {
          maxBytes,
          tooLarge: () => new EcpAnswerTooLarge(`the answer from ${host} exceeds ${maxBytes} bytes`),
          deadline: { deadline, tooLate: () => new EcpTimeout(`no complete answer from ${host} in time`) },
        });
      } catch (err) {
        throw asTimeout(err, host);
      }
      const contentType = response.headers['content-type'];
      return {
        status: response.statusCode,
        contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? '',
        body: body.toString('utf8'),
      };
    },
    close: () => agent.close(),
  };
}

function asTimeout(err: unknown, host: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new EcpTimeout(`no answer from ${host} in time`, { cause: err });
  }
  return err;
}
