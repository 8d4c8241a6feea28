import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import type { KeyValueCache } from '../../src/cache/cache.js';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import { describeWithServer } from '../support/require-server.js';

/** `take` (single-use sign-in codes) against a real redis-server: of clients racing for one key, one wins. */
describeWithServer('redis', 'Redis take: read and remove in one step', (redis) => {
  const prefix = `lsb-take-${randomBytes(4).toString('hex')}:`;
  const clients: KeyValueCache[] = Array.from({ length: 4 }, () => createRedisCache({ url: redis.url, keyPrefix: prefix }));
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('gives the value to exactly one of several replicas asking at once', async () => {
    await clients[0]!.set('code', 'grant', 60_000);
    const answers = await Promise.all(clients.flatMap((c) => [c.take!('code'), c.take!('code')]));
    expect(answers.filter((a) => a === 'grant')).toHaveLength(1);
    expect(answers.filter((a) => a === undefined)).toHaveLength(answers.length - 1);
    expect(await clients[1]!.get('code')).toBeUndefined();
  });

  it('answers undefined for a key that is not there', async () => {
    expect(await clients[0]!.take!('never-set')).toBeUndefined();
  });
});
