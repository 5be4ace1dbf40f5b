// lib/redis/redis-lock-wait.ts: waiting for the lock, bounded by lockWait, against a real redis-server.
import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RedisSharedStateError, shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { errorOf } from '../helpers/outcomes.js';
import { a, key, lockKey, redis, useRedisPair } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis refresh lock (%s)', (library) => {
  useRedisPair(library, 'lock');

  it('gives up after lockWait with a typed error naming Redis', async () => {
    await redis.command('SET', lockKey, 'someone-else', 'PX', '10000');
    const { lock } = shareThroughRedis({ client: a.client, key, lockWait: 200 });
    const error = await errorOf(lock.run(() => of('never')));
    expect(error).toBeInstanceOf(RedisSharedStateError);
    expect((error as RedisSharedStateError).operation).toBe('lock-wait');
    expect((error as Error).message).toMatch(/Redis refresh lock/);
  });
});
