import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A forward proxy on 127.0.0.1 as corporate egress proxies work for https:// (RFC 9110 §9.3.6 CONNECT): it opens a
 * TCP tunnel to the host:port asked for and relays bytes both ways, so it sees the host name, never what is said
 * inside the TLS. Records every tunnel asked for, so a test can tell whether a call went through it; for plain
 * http:// inside a tunnel (a test IdP on loopback) it can also read the request lines, to tell which calls did.
 */
export interface ConnectProxy {
  url: string;
  /** `host:port` of every CONNECT, in order. */
  tunnels(): string[];
  /** `METHOD /path` of every plain-http request sent through a tunnel (none for TLS). */
  requests(): string[];
  stop(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    // Only tunnels: a plain request to the proxy is not what the bridge sends.
    res.writeHead(405, { 'content-type': 'text/plain' }).end('CONNECT only');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnels.push(target);
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const colon = target.lastIndexOf(':');
    const upstream = connect(Number(target.slice(colon + 1)), target.slice(0, colon).replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.on('data', (chunk: Buffer) => {
        for (const m of chunk.toString('latin1').matchAll(/^(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.1\r$/gm)) requests.push(`${m[1]} ${m[2]!.split('?')[0]}`);
        upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels: () => [...tunnels],
    requests: () => [...requests],
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The proxy variables a test may set; `keepProxyEnvironment()` gives back a function that puts them back as they were. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] as const;

export function keepProxyEnvironment(): () => void {
  const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
  return () => {
    for (const name of PROXY_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  };
}
