// lib/redis/redis-scripts.ts: the Lua scripts, run by SHA and sent again when Redis forgot them (a
// restart, a SCRIPT FLUSH, a failover), against a real redis-server.
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EXTEND_SCRIPT, RELEASE_SCRIPT, WRITE_SCRIPT } from '../../lib/redis/redis-scripts.js';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { a, key, lockKey, read, redis, state, useRedisPair, write } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis scripts (%s)', (library) => {
  useRedisPair(library, 'tokens');

  it('are named by the SHA-1 Redis gives them', async () => {
    for (const script of [WRITE_SCRIPT, EXTEND_SCRIPT, RELEASE_SCRIPT]) {
      const loaded = await redis.command('SCRIPT', 'LOAD', script.source);
      expect(loaded.split('\r\n')[1]).toBe(await script.sha());
    }
  });

  it('still write and release the lock after Redis forgot them (SCRIPT FLUSH): EVALSHA falls back to EVAL', async () => {
    const { store, lock } = shareThroughRedis({ client: a.client, key });
    await write(store, state(1), 0);
    await redis.command('SCRIPT', 'FLUSH');
    expect((await write(store, state(2), 1)).generation).toBe(2);
    expect((await read(store))?.generation).toBe(2);

    await redis.command('SCRIPT', 'FLUSH');
    expect(await lastValueFrom(lock.run(() => of('ran')))).toBe('ran');
    await expect.poll(() => redis.command('EXISTS', lockKey), { timeout: 2_000, interval: 20 }).toBe(':0');
    store.dispose?.();
    lock.dispose?.();
  });
});
