/**
 * Reads a request body up to `limit` bytes, counting what actually arrives (a Content-Length can lie and a
 * chunked body has none). An oversized body is read and discarded up to `drainLimit`, so the client still
 * receives the answer instead of a reset connection; beyond that the connection is given up.
 */
export type BodyRead = { kind: 'ok'; text: string } | { kind: 'too_large' };

export async function readBodyLimited(request: Request, limit: number, drainLimit = 8 * 1024 * 1024): Promise<BodyRead> {
  if (!request.body) return { kind: 'ok', text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooLarge = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(value);
    else if (size > drainLimit) {
      await reader.cancel();
      break;
    }
  }
  if (tooLarge) return { kind: 'too_large' };
  return { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') };
}
