import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyValueCache } from '../../src/cache/cache.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import { identityLogConfigSchema } from '../../src/identity-log/identity-log-config.js';
import { createIdentityLog } from '../../src/identity-log/identity-log.js';
import { identity } from '../rules/support.js';
import { describeWithServer } from '../support/require-server.js';

const HOUR = 3_600_000;

function behaves(storeFor: () => KeyValueCache) {
  it('keeps who signed in, with only the claims asked for, and nothing else of the identity', async () => {
    const log = createIdentityLog(identityLogConfigSchema.parse({ enabled: true, claims: ['department', 'address.country'] }), storeFor());
    await log.record('main', 'staff', 'winapp', identity({
      subject: 'u-1',
      username: 'pat',
      emails: ['pat@corp.example'],
      groups: ['Helpdesk-Agents'],
      claims: { department: 'Support', address: { country: 'DE' }, access_token_hash: 'abc', secret_answer: 'x' },
      phone: '+1 555',
    }));
    const [entry, ...rest] = await log.entries('main');
    expect(rest).toEqual([]);
    expect(entry).toEqual({
      time: expect.any(String),
      realm: 'main',
      audience: 'staff',
      interface: 'winapp',
      connector: 'corp',
      subject: 'u-1',
      username: 'pat',
      emails: ['pat@corp.example'],
      groups: ['Helpdesk-Agents'],
      claims: { department: 'Support', 'address.country': 'DE' },
    });
    expect(await log.entries('other')).toEqual([]);
  });

  it('is bounded: the oldest entries are overwritten once the ring is full', async () => {
    const log = createIdentityLog(identityLogConfigSchema.parse({ enabled: true, maxEntries: 10, minIntervalMinutes: 0 }), storeFor());
    for (let i = 0; i < 25; i++) await log.record('main', 'user', undefined, identity({ subject: `u-${i}`, username: `user${i}` }));
    const names = (await log.entries('main')).map((e) => e.username).sort();
    expect(names).toHaveLength(10);
    expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `user${i + 15}`).sort());
  });

  it('records a person once per interval, and lists each person once', async () => {
    const log = createIdentityLog(identityLogConfigSchema.parse({ enabled: true, minIntervalMinutes: 60 }), storeFor());
    for (let i = 0; i < 5; i++) await log.record('main', 'user', undefined, identity({ subject: 'same', groups: [`g${i}`] }));
    await log.record('main', 'staff', 'staff', identity({ subject: 'same' }));
    const entries = await log.entries('main');
    expect(entries.map((e) => [e.audience, e.groups])).toEqual(expect.arrayContaining([['user', ['g0']], ['staff', []]]));
    expect(entries).toHaveLength(2);
  });
}

describe('identity log in memory', () => {
  behaves(() => createMemoryCache({ maxEntries: 1_000 }));

  it('forgets entries older than the retention', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const log = createIdentityLog(identityLogConfigSchema.parse({ enabled: true, retentionHours: 2, minIntervalMinutes: 0 }), createMemoryCache({ maxEntries: 100 }), () => now);
    await log.record('main', 'user', undefined, identity({ subject: 'old' }));
    now += 1.5 * HOUR;
    await log.record('main', 'user', undefined, identity({ subject: 'new' }));
    now += 1 * HOUR;
    expect((await log.entries('main')).map((e) => e.subject)).toEqual(['new']);
  });

  it('is off by default', () => {
    expect(identityLogConfigSchema.parse(undefined)).toMatchObject({ enabled: false, claims: [] });
  });
});

describeWithServer('redis', 'identity log in a real Redis (shared by replicas)', (redis) => {
  const opened: KeyValueCache[] = [];
  const prefix = `lsb-idlog-${randomBytes(4).toString('hex')}:`;
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
  });
  let n = 0;
  behaves(() => {
    const cache = createRedisCache({ url: redis.url, keyPrefix: `${prefix}${n++}:` });
    opened.push(cache);
    return cache;
  });

  it('one replica reads what another wrote', async () => {
    const settings = identityLogConfigSchema.parse({ enabled: true });
    const a = createRedisCache({ url: redis.url, keyPrefix: `${prefix}shared:` });
    const b = createRedisCache({ url: redis.url, keyPrefix: `${prefix}shared:` });
    opened.push(a, b);
    await createIdentityLog(settings, a).record('main', 'user', undefined, identity({ subject: 'from-a' }));
    expect((await createIdentityLog(settings, b).entries('main')).map((e) => e.subject)).toEqual(['from-a']);
  });
});
