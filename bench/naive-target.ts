import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import * as oidc from 'openid-client';
import { create } from 'xmlbuilder2';
import { CLIENT_ID, CLIENT_SECRET, SCOPE } from './fixtures.js';
import { serveCommands } from './ipc.js';
import { statsHandlers, type StatsCommands } from './process-stats.js';

/**
 * Target N, "the named stack used naively": what a careful newcomer writes from the three libraries' READMEs.
 * A Hono route served by @hono/node-server, `parseBody()`, openid-client's `genericGrantRequest` for the password
 * grant with the ID token's signature verified (`enableNonRepudiationChecks`) on a Configuration discovered once
 * at start, and the answer built with xmlbuilder2. Node's global fetch, default V8 flags. No caller guard, rules,
 * logs or metrics. Usage: naive-target.js <issuer>
 */
const [issuer = ''] = process.argv.slice(2);
if (!issuer) throw new Error('usage: naive-target.js <issuer>');

const config = await oidc.discovery(new URL(issuer), CLIENT_ID, {}, oidc.ClientSecretBasic(CLIENT_SECRET), {
  // The bench IdP is plain http on loopback; a real one is https and needs no such option.
  execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
});

/**
 * xmlbuilder2 leaves entity-like text (`&nbsp;`, `&amp;`) as it is to avoid double encoding; written as `&amp;`
 * first, every `&` reaches the document escaped. `<` and `>` the builder escapes itself.
 */
const text = (value: string): string => value.replace(/&/g, '&amp;');

function answer(fill: (root: ReturnType<typeof create>) => void): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('loginshare');
  fill(root);
  return root.end({ prettyPrint: true });
}

const failure = (message: string): string =>
  answer((root) => {
    root.ele('result').txt('0');
    root.ele('message').txt(text(message));
  });

const field = (value: unknown): string => (typeof value === 'string' ? value : '');

const app = new Hono();
app.post('/loginshare/:realm/user', async (c) => {
  const xml = (body: string) => c.body(body, 200, { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store' });
  const form = await c.req.parseBody();
  const username = field(form['username']);
  const password = field(form['password']);
  if (!username || !password) return xml(failure('Invalid request'));
  let claims: oidc.IDToken | undefined;
  try {
    const tokens = await oidc.genericGrantRequest(config, 'password', { username, password, scope: SCOPE });
    claims = tokens.claims();
  } catch (err) {
    return xml(failure(err instanceof oidc.ResponseBodyError ? 'Invalid username or password' : 'Service unavailable'));
  }
  if (!claims) return xml(failure('No ID token'));
  const groups = Array.isArray(claims['groups']) ? (claims['groups'] as unknown[]) : [];
  const usergroup = groups.includes('Enterprise') ? 'Enterprise' : 'Registered';
  return xml(
    answer((root) => {
      root.ele('result').txt('1');
      const user = root.ele('user');
      user.ele('usergroup').txt(text(usergroup));
      user.ele('fullname').txt(text(field(claims['name']) || username));
      user.ele('emails').ele('email').txt(text(field(claims['email'])));
    }),
  );
});
app.onError((_err, c) => c.body(failure('Service unavailable'), 200, { 'content-type': 'text/xml; charset=utf-8' }));

const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});

serveCommands<StatsCommands>({ port: (server.address() as AddressInfo).port }, statsHandlers());
