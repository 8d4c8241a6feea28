import type { Readable } from 'node:stream';

/** The body as received: decoding is the reader's business (a LoginShare body is never made one string). */
export type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'too_large' } | { kind: 'too_slow' };

export interface BodyReadLimits {
  /** More than this is refused (`too_large`). */
  maxBytes: number;
  /** A body that has not fully arrived this long after the read began is given up (`too_slow`). */
  timeoutMs: number;
  /** An oversized body is read and discarded up to this many bytes; beyond it the connection is given up. */
  drainBytes?: number;
}

/**
 * Reads a request body up to `maxBytes`, counting what actually arrives (a Content-Length can lie and a
 * chunked body has none). An oversized body is read and discarded up to `drainBytes`, so the client still
 * receives the answer instead of a reset connection; beyond that the connection is given up. A body that stalls
 * (a client that sends part of it and then nothing) is given up after `timeoutMs`, so the caller answers it in
 * time instead of Node's request timeout (5 minutes, then a bare 408) holding the socket.
 *
 * Straight from Node's request stream (`c.env.incoming` under @hono/node-server): the web `Request` Hono sees
 * then never materialises a body stream, so the bytes live only in the chunks collected here, handed to the
 * form reader once and dropped with the request.
 */
export function readNodeBodyLimited(incoming: Readable, limits: BodyReadLimits): Promise<BodyRead> {
  const { maxBytes, timeoutMs, drainBytes = 8 * 1024 * 1024 } = limits;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(bytes);
      else if (size > drainBytes) {
        done();
        incoming.destroy();
        resolve({ kind: 'too_large' });
      }
    };
    const onEnd = (): void => {
      done();
      resolve(tooLarge ? { kind: 'too_large' } : { kind: 'ok', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    // The client went away before the body was complete.
    const onClose = (): void => onError(new Error('request body incomplete: the client closed the connection'));
    if (incoming.readableEnded) {
      resolve({ kind: 'ok', body: Buffer.alloc(0) });
      return;
    }
    timer = setTimeout(() => {
      done();
      chunks.length = 0;
      resolve({ kind: 'too_slow' });
    }, timeoutMs);
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
