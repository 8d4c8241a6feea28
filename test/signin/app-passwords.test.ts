import { expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createAppPasswordConnector } from '../../src/connectors/signin-code/app-password-connector.js';
import { deadlineIn } from '../../src/login/deadline.js';
import type { Identity, LoginAttempt } from '../../src/login/vocabulary.js';
import { createAppPasswordStore, parseAppPassword } from '../../src/signin/app-passwords.js';
import { loginNamesOf, type TakingCache } from '../../src/signin/code-store.js';
import { parseSignInCode } from '../../src/signin/sign-in-code.js';

const identity: Identity = { subject: 'sub-bob', username: 'bob-agent', emails: ['bob@helpdesk.example.com'], groups: [], claims: {}, connectorId: 'kc' };
const owner = { realmId: 'main', identity, loginNames: loginNamesOf(identity) };

function setup(now = () => 1_000_000) {
  const cache = createMemoryCache({ maxEntries: 1000, now }) as TakingCache;
  const store = createAppPasswordStore(cache, now);
  return { store, connector: createAppPasswordConnector(store) };
}
const staff = (password: string, staffInterface = 'winapp', username = 'bob-agent'): LoginAttempt => ({
  username,
  password,
  endUserIp: '',
  audience: 'staff',
  realmId: 'main',
  staffInterface,
});

it('has a shape of its own: never taken for a sign-in code, nor a code for it', async () => {
  const { store } = setup();
  const { password } = await store.create(owner, 'Laptop', ['winapp'], 86_400_000);
  expect(parseAppPassword(password.toUpperCase())).toBe(password);
  expect(parseSignInCode(password)).toBeUndefined();
  expect(parseAppPassword('7K2M-XQ4P-0ABC-1DEF')).toBeUndefined();
});

it('works many times from its interfaces, for its owner, until revoked', async () => {
  const { store, connector } = setup();
  const { password, summary } = await store.create(owner, 'Laptop', ['winapp', 'mobile'], 86_400_000);
  expect((await connector.login(staff(password), deadlineIn(1000))).kind).toBe('ok');
  expect((await connector.login(staff(password, 'mobile', 'Bob@Helpdesk.example.com'), deadlineIn(1000))).kind).toBe('ok');
  expect((await connector.login(staff(password, 'staff'), deadlineIn(1000))).kind).toBe('invalid_credentials');
  expect((await connector.login(staff(password, 'winapp', 'alice'), deadlineIn(1000))).kind).toBe('invalid_credentials');
  expect((await connector.login({ ...staff(password), audience: 'user' }, deadlineIn(1000))).kind).toBe('invalid_credentials');
  expect((await connector.login(staff('a normal password'), deadlineIn(1000))).kind).toBe('unknown_user');
  expect(await store.list('main', 'sub-bob')).toEqual([summary]);
  expect(await store.revoke('main', 'sub-bob', summary.id)).toBe(true);
  expect(await store.list('main', 'sub-bob')).toEqual([]);
  expect((await connector.login(staff(password), deadlineIn(1000))).kind).toBe('invalid_credentials');
});

it('ends after its lifetime', async () => {
  let now = 1_000_000;
  const { store, connector } = setup(() => now);
  const { password } = await store.create(owner, 'Phone', ['mobile'], 60_000);
  now += 60_001;
  expect((await connector.login(staff(password, 'mobile'), deadlineIn(1000))).kind).toBe('invalid_credentials');
  expect(await store.list('main', 'sub-bob')).toEqual([]);
});
