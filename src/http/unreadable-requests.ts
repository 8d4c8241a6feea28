import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { renderFailure } from '../loginshare/answer.js';
import { MESSAGES } from '../loginshare/messages.js';
import { LOGINSHARE_ANSWER_HEADERS } from './middleware/loginshare-answers.js';

const CLOSE_GRACE_MS = 1_000;

/**
 * Requests Node's HTTP parser cannot read never reach Hono: a Content-Length that disagrees with the body, a bad
 * chunk size, both Content-Length and Transfer-Encoding, headers over 16 KiB, a request line without a Host.
 * Node answers those itself with a bare 400 or 431 and no body; Kayako reads only the body. This `clientError`
 * listener answers them with the same status and a LoginShare packet, then closes the connection (Node closes
 * it after such an error too: the rest of the stream cannot be trusted to start a request).
 *
 * Not answered: a connection that is already gone, or one whose current response has begun (bytes of another
 * answer cannot be interleaved) — those are closed, as Node does.
 */
export function answerUnreadableRequestsWithXml(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable || responseBegun(socket)) {
      socket.destroy();
      return;
    }
    const body = Buffer.from(renderFailure(MESSAGES.badRequest), 'utf8');
    const head = [
      `HTTP/1.1 ${statusLine(err.code)}`,
      ...Object.entries(LOGINSHARE_ANSWER_HEADERS).map(([name, value]) => `${name}: ${value}`),
      `content-length: ${body.length}`,
      'connection: close',
      '',
      '',
    ].join('\r\n');
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    // The client closes on `connection: close`; one that keeps sending instead is cut off shortly after. Not at
    // once: closing with its bytes unread resets the connection, which can take the answer with it.
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  });
}

function statusLine(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  return '400 Bad Request';
}

/** Node keeps the response being written on the socket (`_httpMessage`) until it has finished. */
function responseBegun(socket: Duplex): boolean {
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return Boolean(current?.headersSent);
}
