// lib/redis/redis-connection.ts: the client given to shareThroughRedis, node-redis or ioredis, told
// apart by shape and refused while it cannot run commands, against a real redis-server.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisSharedStateError, shareThroughRedis } from '../../lib/redis/index.js';
import { connectClient, LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { a, key, read, redis, state, useRedisPair, write } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis connection (%s)', (library) => {
  useRedisPair(library, 'tokens');

  it('takes a connected client of the library as it is', async () => {
    const { store } = shareThroughRedis({ client: a.client, key });
    await write(store, state(1), 0);
    expect((await read(store))?.generation).toBe(1);
    store.dispose?.();
  });

  it('refuses a client that is not connected, with a clear error', async () => {
    const closed = await connectClient(library, redis.url);
    await closed.close();
    const error = (() => {
      try {
        shareThroughRedis({ client: closed.client, key });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RedisSharedStateError);
    expect((error as RedisSharedStateError).operation).toBe('connect');
    expect(() => shareThroughRedis({ client: {} as never, key })).toThrow(TypeError);
  });
});

describe.runIf(redisSpecsEnabled())('Redis connection, of a client that is neither library', () => {
  it('is refused with a TypeError naming `client` and both libraries', () => {
    for (const client of [null, {}, { duplicate: () => undefined }, { duplicate: () => undefined, call: () => undefined }]) {
      expect(() => shareThroughRedis({ client: client as never, key: 'tokens:x' })).toThrow(
        new TypeError('shareThroughRedis: `client` must be a client from `redis` (createClient) or `ioredis` (new Redis)'),
      );
    }
  });
});

describe.runIf(redisSpecsEnabled())('Redis connection, of an ioredis client made with lazyConnect', () => {
  useRedisPair('ioredis', 'tokens');

  it('is refused until it connects, with an error saying how to connect it', () => {
    const lazy = new Redis(redis.url, { lazyConnect: true });
    try {
      let error: unknown;
      try {
        shareThroughRedis({ client: lazy, key });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RedisSharedStateError);
      expect((error as RedisSharedStateError).operation).toBe('connect');
      expect((error as Error).message).toMatch(/status 'wait'.*lazyConnect/);
    } finally {
      lazy.disconnect();
    }
  });
});
