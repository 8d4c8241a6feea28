import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real server, that can make it behave like an IdP behind a firewall that
 * drops packets: while stalled, connections are accepted and requests read, and nothing is ever answered (what
 * an IdP outage looks like from the bridge, and the worst case for its timeouts). Requests that were held stay
 * held after `resume()` — they are the logins that hung during the outage — and new connections go through again.
 */
export interface StallableProxy {
  /** http://127.0.0.1:<port> */
  origin: string;
  stall(): void;
  resume(): void;
  /** HTTP requests that arrived while stalled (each one would be a login or probe left waiting). */
  requestsHeld(): number;
  close(): Promise<void>;
}

export async function startStallableProxy(target: { host: string; port: number }): Promise<StallableProxy> {
  let stalled = false;
  let held = 0;
  const sockets = new Set<Socket>();
  const piped = new Map<Socket, Socket>();

  const hold = (client: Socket) => {
    client.on('data', (chunk: Buffer) => {
      held += countRequests(chunk);
    });
  };

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (stalled) {
      hold(client);
      return;
    }
    const upstream = createConnection(target);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (!stalled || !piped.has(client)) client.destroy();
    });
    piped.set(client, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stall() {
      stalled = true;
      // Connections already open (keep-alive) stop answering too: whatever is sent on them from now on is read
      // and never forwarded.
      for (const [client, upstream] of piped) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        hold(client);
        client.resume();
      }
    },
    resume() {
      stalled = false;
      piped.clear();
    },
    requestsHeld: () => held,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function countRequests(chunk: Buffer): number {
  return chunk.toString('latin1').match(/^(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH) \S+ HTTP\/1\.[01]\r$/gm)?.length ?? 0;
}
