import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real server, that can make it behave like an IdP behind a firewall that
 * drops packets: while stalled, connections are accepted and requests read, and nothing is ever answered (what
 * an IdP outage looks like from the bridge, and the worst case for its timeouts). Connections open when the stall
 * began, and those opened during it, stay held after `resume()` — they are the logins that hung during the
 * outage — and new connections go through again. `delay(ms)` makes requests reach the server that much later
 * (a slow IdP that does answer).
 */
export interface StallableProxy {
  /** http://127.0.0.1:<port> */
  origin: string;
  stall(): void;
  resume(): void;
  delay(ms: number): void;
  /** HTTP requests that arrived while stalled (each one would be a login or probe left waiting). */
  requestsHeld(): number;
  close(): Promise<void>;
}

export async function startStallableProxy(target: { host: string; port: number }): Promise<StallableProxy> {
  let stalled = false;
  let delayMs = 0;
  let held = 0;
  const sockets = new Set<Socket>();
  const live = new Set<{ held: boolean }>();

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };

  const server: Server = createServer((client) => {
    track(client);
    const connection = { held: stalled };
    live.add(connection);
    client.on('close', () => live.delete(connection));
    let upstream: Socket | undefined;
    client.on('data', (chunk: Buffer) => {
      if (connection.held) {
        held += countRequests(chunk);
        return;
      }
      if (!upstream) {
        const opened = createConnection(target);
        upstream = opened;
        track(opened);
        opened.on('data', (answer: Buffer) => {
          if (!connection.held) client.write(answer);
        });
        opened.on('close', () => {
          if (!connection.held) client.destroy();
        });
        client.on('close', () => opened.destroy());
      }
      const forward = upstream;
      if (delayMs > 0) setTimeout(() => forward.write(chunk), delayMs);
      else forward.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stall() {
      stalled = true;
      // Keep-alive connections already open stop answering too.
      for (const connection of live) connection.held = true;
    },
    resume() {
      stalled = false;
    },
    delay(ms) {
      delayMs = ms;
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
