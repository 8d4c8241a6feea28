import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LoginFlowDeps } from '../../src/loginshare/login-flow.js';
import { createLoginThrottle } from '../../src/security/login-throttle.js';

/** A login flow with in-memory limits far above what a test sends, so only the behaviour under test answers. */
export function roomyLoginFlow(loginTimeoutMs: number): LoginFlowDeps {
  return {
    throttle: createLoginThrottle({ kind: 'memory', maxEntries: 100 }, {
      lockout: { maxFailures: 5, windowSeconds: 60, lockSeconds: 60 },
      rateLimit: { perIpPerMinute: 100, perUsernamePerMinute: 100 },
    }),
    loginTimeoutMs,
  };
}

/** Serves `listener` on a free loopback port; over https:// with `tls`. */
export function serveOnLoopback(listener: RequestListener, tls?: { key: string; cert: string }): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = tls ? createHttpsServer(tls, listener) : createServer(listener);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
