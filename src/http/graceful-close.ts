import type { Server } from 'node:http';

/**
 * Stops a `node:http` server the way a rolling update needs: no new connections, idle keep-alive connections
 * closed at once, requests in flight (a login waiting on its IdP) answered, then each of their connections closed
 * as soon as its answer is out — instead of lingering for `keepAliveTimeout` and holding the process up.
 *
 * `server.close()` closes the connections that are idle at that moment only; a connection whose request is
 * answered later becomes idle afterwards, so the idle ones are swept again every `sweepMs` until the server has
 * none left. Nothing is added per request: the cost is paid during shutdown alone. After `forceAfterMs` (the
 * login deadline and a margin) whatever is still open is closed.
 */
export function closeGracefully(server: Server, options: { forceAfterMs: number; sweepMs?: number }): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const sweep = setInterval(() => server.closeIdleConnections(), options.sweepMs ?? 25);
    const force = setTimeout(() => server.closeAllConnections(), options.forceAfterMs);
    sweep.unref();
    force.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
