import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * HTTP/1.1 written byte by byte on a socket: what a client library will not send (a chunked body cut anywhere,
 * a body that trickles in over seconds), read back whole once the server closes the connection.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawRequest {
  port: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Sent as they come: with `transfer-encoding: chunked` each piece becomes one chunk. */
  pieces: Buffer[];
  chunked: boolean;
  /** Pause before each piece (slow loris). */
  pauseMs?: number;
}

export function sendRaw(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: request.port });
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    socket.once('error', reject);
    socket.once('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(received)));
      } catch (err) {
        reject(err);
      }
    });
    socket.once('connect', () => {
      void (async () => {
        const length = request.pieces.reduce((sum, piece) => sum + piece.length, 0);
        const framing = request.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(length) };
        const head = Object.entries({ host: `127.0.0.1:${request.port}`, ...request.headers, ...framing, connection: 'close' })
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('');
        socket.write(`${request.method} ${request.path} HTTP/1.1\r\n${head}\r\n`);
        for (const piece of request.pieces) {
          if (request.pauseMs) await sleep(request.pauseMs);
          if (socket.destroyed) return;
          if (request.chunked) {
            if (piece.length === 0) continue; // a zero-length chunk would end the body
            socket.write(`${piece.length.toString(16)}\r\n`);
            socket.write(piece);
            socket.write('\r\n');
          } else {
            socket.write(piece);
          }
        }
        if (request.chunked) socket.write('0\r\n\r\n');
      })().catch(reject);
    });
  });
}

function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete HTTP answer (${raw.length} bytes: ${JSON.stringify(raw.toString('latin1').slice(0, 200))})`);
  const [statusLine = '', ...lines] = raw.toString('latin1', 0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status, headers, body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = parseInt(data.toString('latin1', at, lineEnd), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
