import { deadlineIn } from '../../src/login/deadline.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/login/vocabulary.js';
import { createClaimFirstResolver } from '../../src/groups/claim-first-resolver.js';
import { createGraphGroupResolver } from '../../src/groups/graph-group-resolver.js';
import { createOktaGroupResolver, nextLink } from '../../src/groups/okta-group-resolver.js';
import { groupsFromTokenClaims } from '../../src/groups/token-groups.js';
import { close, listen, send } from '../support/fake-http.js';

/**
 * The parts of the directory resolvers the IdP fakes cannot provoke: a paging link to another host (the token
 * must never follow it), a link header in its various legal shapes, and how API groups replace the token's.
 */
function identity(claims: Record<string, unknown>, groups: string[] = []): Identity {
  return { subject: '00u1', username: 'u', emails: [], groups, claims, connectorId: 'c' };
}
const deadline = () => deadlineIn(5_000);

describe('paging links to another host', () => {
  const seen: Array<{ host: string; authorization: string | undefined }> = [];
  let trusted: ReturnType<typeof createServer>;
  let elsewhere: ReturnType<typeof createServer>;
  let trustedUrl: string;
  let elsewhereUrl: string;

  beforeAll(async () => {
    const record = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ host: name, authorization: req.headers.authorization });
      if (req.url?.startsWith('/v1.0/me/transitiveMemberOf')) {
        return send(res, 200, { value: [{ '@odata.type': '#microsoft.graph.group', id: 'g1' }], '@odata.nextLink': `${elsewhereUrl}/v1.0/steal` });
      }
      if (req.url?.startsWith('/api/v1/users/')) {
        return send(res, 200, [{ id: '00g1', profile: { name: 'Everyone' } }], { link: [`<${elsewhereUrl}/api/v1/steal>; rel="next"`] });
      }
      return send(res, 200, { value: [] });
    };
    trusted = createServer(record('trusted'));
    elsewhere = createServer(record('elsewhere'));
    trustedUrl = await listen(trusted);
    elsewhereUrl = await listen(elsewhere);
  });
  afterAll(async () => {
    await Promise.all([close(trusted), close(elsewhere)]);
  });

  it('Graph: refuses an @odata.nextLink on another origin instead of sending the token there', async () => {
    const graph = createGraphGroupResolver({ baseUrl: `${trustedUrl}/v1.0`, groupNames: 'id', timeoutMs: 2_000, maxPages: 5 });
    await expect(graph.resolve({ realmId: 'r', identity: identity({}), accessToken: 'user-token' }, deadline())).rejects.toThrow(/nextLink does not point at/);
    expect(seen.filter((s) => s.host === 'elsewhere')).toEqual([]);
  });

  it('Okta: refuses a rel="next" link on another origin', async () => {
    const okta = createOktaGroupResolver({
      orgUrl: trustedUrl,
      auth: { authorization: async () => 'SSWS api-token' },
      groupNames: 'name',
      timeoutMs: 2_000,
      pageSize: 200,
      maxPages: 5,
    });
    await expect(okta.resolve({ realmId: 'r', identity: identity({}) }, deadline())).rejects.toThrow(/next page is not on/);
    expect(seen.filter((s) => s.host === 'elsewhere')).toEqual([]);
  });

  it('Graph: refuses to start without the login access token', async () => {
    const graph = createGraphGroupResolver({ baseUrl: `${trustedUrl}/v1.0`, groupNames: 'id', timeoutMs: 2_000, maxPages: 5 });
    await expect(graph.resolve({ realmId: 'r', identity: identity({}) }, deadline())).rejects.toThrow(/no access token/);
  });
});

describe('Link header parsing', () => {
  it.each([
    [['<https://o.example/a?after=1>; rel="self"', '<https://o.example/a?after=2>; rel="next"'], 'https://o.example/a?after=2'],
    [['<https://o.example/a?after=1>; rel="self", <https://o.example/a?after=2>; rel="next"'], 'https://o.example/a?after=2'],
    [['<https://o.example/a?after=2>; rel=next'], 'https://o.example/a?after=2'],
    [['<https://o.example/a?x=1,2>; rel="prev next"'], 'https://o.example/a?x=1,2'],
    [['<https://o.example/a?after=1>; rel="self"'], undefined],
    [[], undefined],
  ])('%j → %s', (headers, expected) => {
    expect(nextLink(headers)).toBe(expected);
  });
});

describe('claim-first resolution', () => {
  const api = { resolve: async () => ['Directory-A', 'Directory-B'] };

  it('replaces only the groups claim with the API answer, keeping groups from other claims (roles)', async () => {
    const resolver = createClaimFirstResolver({ needsLookup: () => true, groupsClaim: 'groups' }, api);
    const who = identity({ groups: ['truncated-1'], roles: ['Kayako.Staff'] }, ['truncated-1', 'Kayako.Staff']);
    expect((await resolver.resolve({ realmId: 'r', identity: who }, deadline())).sort()).toEqual(['Directory-A', 'Directory-B', 'Kayako.Staff']);
  });

  it('keeps the token groups when they are complete, without asking the API', async () => {
    let asked = 0;
    const resolver = createClaimFirstResolver({ needsLookup: () => false, groupsClaim: 'groups' }, { resolve: async () => (asked++, []) });
    expect(await resolver.resolve({ realmId: 'r', identity: identity({ groups: ['A'] }, ['A']) }, deadline())).toEqual(['A']);
    expect(asked).toBe(0);
  });

  it('the token-only source refuses an Entra overage token (hasgroups or _claim_names) instead of returning none', async () => {
    await expect(groupsFromTokenClaims.resolve({ realmId: 'r', identity: identity({ hasgroups: true }) }, deadline())).rejects.toThrow(/overage/);
    await expect(groupsFromTokenClaims.resolve({ realmId: 'r', identity: identity({ _claim_names: { groups: 'src1' } }) }, deadline())).rejects.toThrow(/overage/);
    expect(await groupsFromTokenClaims.resolve({ realmId: 'r', identity: identity({ groups: ['A'] }, ['A']) }, deadline())).toEqual(['A']);
  });
});
