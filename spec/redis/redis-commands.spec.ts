// lib/redis/redis-commands.ts: how a command reaches Redis (at once or not at all while the client
// is not ready, bounded by commandTimeout, never naming what it carried), against a real redis-server.
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RedisSharedStateError, shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { errorOf } from '../helpers/outcomes.js';
import { a, key, read, redis, state, useRedisPair, write } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis commands (%s)', (library) => {
  useRedisPair(library, 'tokens');

  it('fails fast with an error naming Redis while Redis is down, and works again once it is back', async () => {
    const { store } = shareThroughRedis({ client: a.client, key });
    await write(store, state(1), 0);
    await redis.stop();
    try {
      const error = await errorOf(from(store.read() as Promise<unknown>));
      expect(error).toBeInstanceOf(RedisSharedStateError);
      expect((error as Error).message).toMatch(/Redis/);
      expect(await errorOf(from(store.write(state(2), 1) as Promise<unknown>))).toBeInstanceOf(RedisSharedStateError);
    } finally {
      await redis.start();
    }
    await expect.poll(() => read(store).catch(() => 'down'), { timeout: 5000, interval: 50 }).toBeNull(); // no persistence: empty
    store.dispose?.();
  });

  it('fails a command Redis does not answer within commandTimeout, naming Redis and not the value it carried, and goes on once Redis answers again', async () => {
    const { store } = shareThroughRedis({ client: a.client, key, commandTimeout: 150 });
    await write(store, state(1), 0);
    await redis.command('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = Date.now();
    const readError = await errorOf(from(store.read() as Promise<unknown>));
    const writeError = await errorOf(from(store.write(state(2, 'at-secret', 'rt-secret'), 1) as Promise<unknown>));
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(readError).toBeInstanceOf(RedisSharedStateError);
    expect((readError as RedisSharedStateError).operation).toBe('read');
    expect((writeError as RedisSharedStateError).operation).toBe('write');
    for (const error of [readError, writeError]) {
      expect((error as Error).message).toMatch(/Redis/);
      expect((error as Error).message).not.toMatch(/secret/);
    }
    // The write had reached Redis: it runs once Redis answers again, though its caller was told it
    // failed. That is what the generation fence is for: a retry of it at generation 1 is refused.
    await expect.poll(() => read(store).then((s) => s?.generation).catch(() => 'paused'), { timeout: 5_000, interval: 50 }).toBe(2);
    expect((await write(store, state(2, 'at-again', 'rt-again'), 1)).tokens?.accessToken).toBe('at-secret');
    store.dispose?.();
  });
});
