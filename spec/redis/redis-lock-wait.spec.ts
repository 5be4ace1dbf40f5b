// lib/redis/redis-lock-wait.ts: waiting for the lock, bounded by lockWait, against a real redis-server.
import { of } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisSharedStateError, shareThroughRedis } from '../../lib/redis/index.js';
import { connectClient, LIBRARIES, type TestClient } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { errorOf } from '../helpers/outcomes.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis refresh lock (%s)', (library) => {
  let redis: TestRedisServer;
  let a: TestClient;
  let b: TestClient;
  let n = 0;
  let key: string;
  let lockKey: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    [a, b] = await Promise.all([connectClient(library, redis.url), connectClient(library, redis.url)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });
  beforeEach(() => {
    key = `lock:${library}:${++n}`;
    lockKey = `{${key}}:lock`;
  });

  it('gives up after lockWait with a typed error naming Redis', async () => {
    await redis.command('SET', lockKey, 'someone-else', 'PX', '10000');
    const { lock } = shareThroughRedis({ client: a.client, key, lockWait: 200 });
    const error = await errorOf(lock.run(() => of('never')));
    expect(error).toBeInstanceOf(RedisSharedStateError);
    expect((error as RedisSharedStateError).operation).toBe('lock-wait');
    expect((error as Error).message).toMatch(/Redis refresh lock/);
  });
});
