// lib/redis/redis-lock-lease.ts: the lock's lease, extended while its task runs and released only by its holder,
// against a real redis-server.
import { defer, lastValueFrom, map, of, Subject, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { a, b, key, lockKey, redis, useRedisPair } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis refresh lock (%s)', (library) => {
  useRedisPair(library, 'lock');

  it('extends the lease while the task runs, so a slow task keeps others out past lockTtl', async () => {
    const first = shareThroughRedis({ client: a.client, key, lockTtl: 600 }).lock;
    const second = shareThroughRedis({ client: b.client, key, lockTtl: 600 }).lock;
    const log: string[] = [];
    const one = lastValueFrom(first.run(() => defer(() => (log.push('one starts'), timer(1800))).pipe(map(() => log.push('one ends')))));
    await expect.poll(() => log).toEqual(['one starts']);
    const two = lastValueFrom(second.run(() => defer(() => (log.push('two starts'), of(0)))));
    await Promise.all([one, two]);
    expect(log).toEqual(['one starts', 'one ends', 'two starts']);
  });

  it('releases only its own lock: a holder whose lease expired does not delete the next holder', async () => {
    const { lock } = shareThroughRedis({ client: a.client, key });
    const gate = new Subject<void>();
    const done = lastValueFrom(lock.run(() => gate), { defaultValue: 'completed' });
    await expect.poll(() => redis.command('EXISTS', lockKey)).toBe(':1');
    // The lease ran out and another process took the lock.
    await redis.command('SET', lockKey, 'next-holder', 'PX', '10000');
    gate.complete();
    await done;
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.command('GET', lockKey)).toContain('next-holder');
  });
});
