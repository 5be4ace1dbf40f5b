// lib/redis/redis-keys.ts: the Redis names of one shared session, in one hash tag, against a real redis-server.
import { describe, expect, it } from 'vitest';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { a, key, redis, state, useRedisPair, write } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis token store (%s)', (library) => {
  useRedisPair(library, 'tokens');

  it('keeps all names of one key in one hash tag, for Redis Cluster', async () => {
    const { store, lock } = shareThroughRedis({ client: a.client, key });
    await write(store, state(1), 0);
    expect(await redis.command('EXISTS', `{${key}}:state`)).toBe(':1');
    store.dispose?.();
    lock.dispose?.();
    expect(() => shareThroughRedis({ client: a.client, key: 'tokens:{42}' })).toThrow(TypeError);
  });
});
