import { createServer } from 'node:net';

/**
 * A TCP port that is free on 127.0.0.1 right now. The kernel picks it; another process could still take it
 * before the server binds, which the start helpers surface as a start failure naming the port.
 */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe socket'));
      });
    });
  });
}
