import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn } from '../../src/login/deadline.js';
import { createGraphGroupResolver } from '../../src/groups/graph-group-resolver.js';
import { createOktaGroupResolver } from '../../src/groups/okta-group-resolver.js';
import { close, listen } from '../support/fake-http.js';

/** A directory API that answers far more than any group list: the lookup stops reading and fails. */
let server: Server;
let origin: string;
let bytesSent = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const isGraph = req.url?.startsWith('/v1.0/');
    const entry = isGraph ? `{"@odata.type":"#microsoft.graph.group","id":"${'g'.repeat(1_000)}"},` : `{"id":"${'g'.repeat(1_000)}","profile":{"name":"x"}},`;
    res.write(isGraph ? '{"value":[' : '[');
    // ~6 MiB, over the 4 MiB a lookup reads.
    let written = 0;
    const more = () => {
      while (written < 6_000) {
        written++;
        bytesSent += entry.length;
        if (!res.write(entry)) return void res.once('drain', more);
      }
      res.end(isGraph ? '{}]}' : '{}]');
    };
    res.on('error', () => {});
    more();
  });
  origin = await listen(server);
});
afterAll(async () => {
  await close(server);
});

const identity = { subject: '00u1', username: 'u', emails: [], groups: [], claims: {}, connectorId: 'c' };

describe('an oversized directory answer', () => {
  it('Graph: refused as too large', async () => {
    const graph = createGraphGroupResolver({ baseUrl: `${origin}/v1.0`, groupNames: 'id', timeoutMs: 5_000, maxPages: 5 });
    await expect(graph.resolve({ realmId: 'r', identity, accessToken: 't' }, deadlineIn(10_000))).rejects.toMatchObject({ code: 'ERR_GROUPS_RESPONSE_TOO_LARGE' });
  });

  it('Okta: refused as too large', async () => {
    const okta = createOktaGroupResolver({ orgUrl: origin, auth: { authorization: async () => 'SSWS t' }, groupNames: 'id', timeoutMs: 5_000, pageSize: 200, maxPages: 5 });
    await expect(okta.resolve({ realmId: 'r', identity }, deadlineIn(10_000))).rejects.toMatchObject({ code: 'ERR_GROUPS_RESPONSE_TOO_LARGE' });
  });
});
