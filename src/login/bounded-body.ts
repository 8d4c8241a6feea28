import type { Dispatcher } from 'undici';
import type { Deadline } from './deadline.js';

export interface BodyLimits {
  maxBytes: number;
  /** The error for an answer larger than maxBytes (the caller names the upstream its own way). */
  tooLarge(): Error;
  /** With a deadline: undici's bodyTimeout bounds each wait for a chunk, not the whole body, so an answer that trickles in is cut here. */
  deadline?: { deadline: Deadline; tooLate(): Error } | undefined;
}

/**
 * An upstream answer's body, read whole but bounded: an IdP or directory API (or whatever answers in its place)
 * can neither fill the bridge's memory nor hold a login past its deadline by sending slowly.
 */
export async function readBoundedBody(body: Dispatcher.ResponseData['body'], limits: BodyLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limits.maxBytes) {
      body.destroy();
      throw limits.tooLarge();
    }
    chunks.push(chunk as Buffer);
    if (limits.deadline && limits.deadline.deadline.remainingMs() <= 0) {
      body.destroy();
      throw limits.deadline.tooLate();
    }
  }
  return Buffer.concat(chunks);
}
