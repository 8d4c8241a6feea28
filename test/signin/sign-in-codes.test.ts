import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createSignInCodeConnector } from '../../src/connectors/signin-code/signin-code-connector.js';
import { deadlineIn } from '../../src/login/deadline.js';
import type { Identity, LoginAttempt } from '../../src/login/vocabulary.js';
import { createSignInCodeStore, loginNamesOf, type TakingCache } from '../../src/signin/code-store.js';
import { createPendingSignIns } from '../../src/signin/pending-sign-in.js';
import { newSignInCode, parseSignInCode } from '../../src/signin/sign-in-code.js';

const identity: Identity = {
  subject: 'sub-1',
  username: 'Alice',
  emails: ['alice@bigcorp.com'],
  displayName: 'Alice Anderson',
  groups: ['Enterprise'],
  claims: { sub: 'sub-1' },
  connectorId: 'keycloak',
};

function memory(now: () => number = performance.now.bind(performance)): TakingCache {
  return createMemoryCache({ maxEntries: 1000, now }) as TakingCache;
}

describe('the code', () => {
  it('has four groups of Crockford Base32 and is different every time', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newSignInCode()));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  });

  it('is read back whatever the case, with O, I and L taken for the digits they look like', () => {
    expect(parseSignInCode(' 7k2m-xq4p-0abc-1def ')).toBe('7K2M-XQ4P-0ABC-1DEF');
    expect(parseSignInCode('7K2M-XQ4P-OABC-lDEF')).toBe('7K2M-XQ4P-0ABC-1DEF');
  });

  it('is not mistaken for an ordinary password', () => {
    for (const typed of ['correct horse battery staple', '7K2MXQ4P0ABC1DEF', '7K2M-XQ4P-0ABC', '7K2M-XQ4P-0ABC-1DEU', 'secret,123456']) {
      expect(parseSignInCode(typed)).toBeUndefined();
    }
  });
});

describe('the code store', () => {
  it('gives a code back once, for its realm and audience only', async () => {
    const store = createSignInCodeStore(memory());
    const grant = { realmId: 'main', audience: 'user' as const, identity, loginNames: loginNamesOf(identity) };
    const a = await store.issue(grant, 60_000);
    const b = await store.issue(grant, 60_000);
    expect(await store.redeem('other', 'user', a.code)).toBeUndefined();
    expect(await store.redeem('main', 'staff', a.code)).toBeUndefined();
    expect((await store.redeem('main', 'user', a.code))?.identity).toEqual(identity);
    expect(await store.redeem('main', 'user', a.code)).toBeUndefined();
    expect(await store.redeem('main', 'user', b.code)).toBeDefined();
  });

  it('keeps only a hash of the code', async () => {
    const keys: string[] = [];
    const values: string[] = [];
    const cache = memory();
    const spying: TakingCache = { ...cache, take: cache.take, set: async (key, value, ttl) => (keys.push(key), values.push(value), cache.set(key, value, ttl)) };
    const { code } = await createSignInCodeStore(spying).issue({ realmId: 'main', audience: 'user', identity, loginNames: ['alice'] }, 60_000);
    expect(keys.join()).not.toContain(code);
    expect(values.join()).not.toContain(code);
  });

  it('forgets a code after its lifetime', async () => {
    let now = 1_000_000;
    const store = createSignInCodeStore(memory(() => now), () => now);
    const { code } = await store.issue({ realmId: 'main', audience: 'user', identity, loginNames: ['alice'] }, 5_000);
    now += 5_001;
    expect(await store.redeem('main', 'user', code)).toBeUndefined();
  });
});

describe('the sign-in code connector', () => {
  const attempt = (username: string, password: string): LoginAttempt => ({ username, password, endUserIp: '', audience: 'user', realmId: 'main' });

  it('passes ordinary passwords on, and decides code-shaped ones itself', async () => {
    const store = createSignInCodeStore(memory());
    const connector = createSignInCodeConnector(store);
    const { code } = await store.issue({ realmId: 'main', audience: 'user', identity, loginNames: loginNamesOf(identity) }, 60_000);
    expect(await connector.login(attempt('alice', 'a password'), deadlineIn(1000))).toEqual({ kind: 'unknown_user' });
    expect(await connector.login(attempt('alice', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ'), deadlineIn(1000))).toEqual({ kind: 'invalid_credentials' });
    expect(await connector.login(attempt(' Alice@BigCorp.com ', code), deadlineIn(1000))).toEqual({ kind: 'ok', identity });
  });

  it('refuses a code typed with someone else’s username, and the code is spent', async () => {
    const store = createSignInCodeStore(memory());
    const connector = createSignInCodeConnector(store);
    const { code } = await store.issue({ realmId: 'main', audience: 'user', identity, loginNames: loginNamesOf(identity) }, 60_000);
    expect(await connector.login(attempt('bob', code), deadlineIn(1000))).toEqual({ kind: 'invalid_credentials' });
    expect(await connector.login(attempt('alice', code), deadlineIn(1000))).toEqual({ kind: 'invalid_credentials' });
  });
});

describe('pending browser sign-ins', () => {
  it('are taken once and recognise the browser that started them', async () => {
    const pending = createPendingSignIns(memory());
    const { state, browserSecret } = pending.open();
    await pending.save(state, browserSecret, { realmId: 'main', audience: 'user', methodId: 'kc', methodState: '{}' }, 60_000);
    const record = await pending.take(state);
    expect(record).toMatchObject({ realmId: 'main', audience: 'user' });
    expect(JSON.stringify(record)).not.toContain(browserSecret);
    expect(pending.sameBrowser(record!, browserSecret)).toBe(true);
    expect(pending.sameBrowser(record!, pending.open().browserSecret)).toBe(false);
    expect(await pending.take(state)).toBeUndefined();
  });
});
