import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readNodeBodyLimited, type BodyRead } from '../../src/http/read-body.js';

/** The LoginShare body read straight from Node's request stream, over a real loopback socket. */
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serverReading(limit: number, drainLimit: number, timeoutMs = 5_000): Promise<{ port: number; reads: Promise<BodyRead | Error>[] }> {
  const reads: Promise<BodyRead | Error>[] = [];
  server = createServer((req, res) => {
    const read = readNodeBodyLimited(req, { maxBytes: limit, drainBytes: drainLimit, timeoutMs }).catch((err: unknown) => err as Error);
    reads.push(read);
    void read.then((result) => {
      if (!res.destroyed) res.end(result instanceof Error ? 'error' : result.kind);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, reads };
}

/** Sends `chunks` with chunked transfer encoding (no Content-Length to trust); resolves with the answer or the error. */
function post(port: number, chunks: string[], endEarly = false): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
      res.on('error', (err) => resolve(`error: ${err.message}`));
    });
    req.on('error', (err) => resolve(`error: ${err.message}`));
    for (const chunk of chunks) req.write(chunk);
    if (endEarly) setTimeout(() => req.destroy(), 50);
    else req.end();
  });
}

describe('readNodeBodyLimited', () => {
  it('returns the body as received, whatever the chunking', async () => {
    const { port, reads } = await serverReading(1024, 4096);
    expect(await post(port, ['username=al', 'ice&password=p%C3%A4ss'])).toBe('ok');
    expect(await reads[0]).toEqual({ kind: 'ok', body: Buffer.from('username=alice&password=p%C3%A4ss') });
  });

  it('counts what arrives: a chunked body over the limit is refused, and the client still gets an answer', async () => {
    const { port, reads } = await serverReading(1024, 4096);
    expect(await post(port, ['a'.repeat(800), 'b'.repeat(800)])).toBe('too_large');
    expect(await reads[0]).toEqual({ kind: 'too_large' });
  });

  it('gives the connection up past the drain limit instead of reading on', async () => {
    const { port, reads } = await serverReading(1024, 4096);
    const answer = await post(port, Array.from({ length: 10 }, () => 'x'.repeat(1000)));
    expect(await reads[0]).toEqual({ kind: 'too_large' });
    expect(answer).toMatch(/^error|^$|too_large/);
  });

  it('fails when the client goes away before the body is complete', async () => {
    const { port, reads } = await serverReading(1024, 4096);
    await post(port, ['username=a'], true);
    await expect.poll(() => reads.length).toBe(1);
    expect(await reads[0]).toBeInstanceOf(Error);
  });

  it('gives a body up that stops arriving, and the client gets its answer without waiting for Node\'s 5 minutes', async () => {
    const { port, reads } = await serverReading(1024, 4096, 300);
    const answer = new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': '100' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', (err) => resolve(`error: ${err.message}`));
      req.write('username=alice&pass');
    });
    expect(await answer).toBe('too_slow');
    expect(await reads[0]).toEqual({ kind: 'too_slow' });
  });
});
