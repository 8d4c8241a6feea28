import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Filter, InvalidCredentialsError } from 'ldapts';
import { tuneV8ForServing } from '../src/runtime/v8-tuning.js';
import { serveCommands } from './ipc.js';
import { statsHandlers, type StatsCommands } from './process-stats.js';

/**
 * Target L, "LDAP direct": the least a LoginShare endpoint on LDAP must do, with no framework — parse the form,
 * search the person with one service connection kept bound (ldapts sends concurrent searches on it), bind as the
 * entry's DN with the typed password on a new connection, render the XML from the entry and its memberOf. No
 * caller check, no rules, no logging, no metrics, no nested groups.
 * Usage: ldap-direct.js '{"url":…,"bindDn":…,"bindPassword":…,"base":…}'
 */
tuneV8ForServing();
const options = JSON.parse(process.argv[2] ?? '{}') as { url: string; bindDn: string; bindPassword: string; base: string };

const service = new Client({ url: options.url, timeout: 10_000, connectTimeout: 5_000 });
await service.bind(options.bindDn, options.bindPassword);

const escapeXml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
const failure = (message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<loginshare>\n  <result>0</result>\n  <message>${escapeXml(message)}</message>\n</loginshare>\n`;
const first = (value: unknown): string => String(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));

async function login(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  if (!username || !password) return failure('Invalid request');
  const { searchEntries } = await service.search(options.base, {
    filter: `(&(objectClass=inetOrgPerson)(|(uid=${Filter.escape(username)})(mail=${Filter.escape(username)})))`,
    attributes: ['uid', 'mail', 'cn', 'givenName', 'sn', 'memberOf'],
    sizeLimit: 2,
  });
  const entry = searchEntries[0];
  if (!entry || searchEntries.length > 1) return failure('Invalid Username or Password');
  const user = new Client({ url: options.url, timeout: 10_000, connectTimeout: 5_000 });
  try {
    await user.bind(entry.dn, password);
  } catch (err) {
    if (err instanceof InvalidCredentialsError) return failure('Invalid Username or Password');
    throw err;
  } finally {
    void user.unbind().catch(() => undefined);
  }
  const groups = [entry['memberOf'] ?? []].flat().map(String);
  const usergroup = groups.some((dn) => dn.startsWith('cn=Enterprise,ou=bench-groups,')) ? 'Enterprise' : 'Registered';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<loginshare>\n  <result>1</result>\n  <user>\n` +
    `    <usergroup>${escapeXml(usergroup)}</usergroup>\n` +
    `    <fullname>${escapeXml(first(entry['cn']) || username)}</fullname>\n` +
    `    <emails>\n      <email>${escapeXml(first(entry['mail']))}</email>\n    </emails>\n` +
    `  </user>\n</loginshare>\n`
  );
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || !req.url?.startsWith('/loginshare/')) {
    res.writeHead(404).end();
    return;
  }
  login(req)
    .catch(() => failure('Service unavailable'))
    .then((xml) => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
    });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveCommands<StatsCommands>({ port: (server.address() as AddressInfo).port }, statsHandlers());
