import { defer, firstValueFrom, lastValueFrom, map, Observable, of, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RedisSharedStateError, shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { errorOf } from '../helpers/outcomes.js';
import { a, b, key, lockKey, redis, useRedisPair } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis refresh lock (%s)', (library) => {
  useRedisPair(library, 'lock');

  it('runs one task at a time across clients: the second starts after the first released', async () => {
    const first = shareThroughRedis({ client: a.client, key }).lock;
    const second = shareThroughRedis({ client: b.client, key }).lock;
    const log: string[] = [];
    const gate = new Subject<string>();
    const one = lastValueFrom(first.run(() => defer(() => (log.push('one starts'), gate)).pipe(map((v) => (log.push('one ends'), v)))));
    await expect.poll(() => log).toEqual(['one starts']);
    const two = lastValueFrom(second.run(() => defer(() => (log.push('two starts'), of('two')))));
    await new Promise((r) => setTimeout(r, 150)); // two polls meanwhile
    expect(log).toEqual(['one starts']);
    gate.next('one');
    gate.complete();
    expect(await one).toBe('one');
    expect(await two).toBe('two');
    expect(log).toEqual(['one starts', 'one ends', 'two starts']);
    expect(await redis.command('EXISTS', lockKey)).toBe(':0');
  });

  it('lets the others in after a crashed holder lease ran out (no release ever came)', async () => {
    await redis.command('SET', lockKey, 'crashed-owner', 'PX', '300');
    const { lock } = shareThroughRedis({ client: a.client, key, lockTtl: 300 });
    expect(await lastValueFrom(lock.run(() => of('ran')))).toBe('ran');
  });

  it('passes the task errors through unchanged and releases the lock', async () => {
    const { lock } = shareThroughRedis({ client: a.client, key });
    const failure = new Error('token endpoint said no');
    expect(await errorOf(lock.run(() => defer(() => Promise.reject(failure))))).toBe(failure);
    await expect.poll(() => redis.command('EXISTS', lockKey)).toBe(':0');
  });

  it('unsubscribing while waiting gives up the wait; unsubscribing while holding releases', async () => {
    const first = shareThroughRedis({ client: a.client, key }).lock;
    const second = shareThroughRedis({ client: b.client, key }).lock;
    let secondRan = false;
    const holding = first.run(() => new Observable<never>(() => undefined)).subscribe();
    await expect.poll(() => redis.command('EXISTS', lockKey)).toBe(':1');
    const waiting = second.run(() => defer(() => ((secondRan = true), of(1)))).subscribe();
    await new Promise((r) => setTimeout(r, 50));
    waiting.unsubscribe();
    holding.unsubscribe();
    await expect.poll(() => redis.command('EXISTS', lockKey)).toBe(':0');
    await new Promise((r) => setTimeout(r, 250));
    expect(secondRan).toBe(false);
    expect(await redis.command('EXISTS', lockKey)).toBe(':0');
  });

  it('fails with a typed error naming Redis while Redis is down, and locks again once it is back', async () => {
    const { lock } = shareThroughRedis({ client: a.client, key });
    await redis.stop();
    try {
      const error = await errorOf(lock.run(() => of(1)));
      expect(error).toBeInstanceOf(RedisSharedStateError);
      expect((error as Error).message).toMatch(/Redis/);
    } finally {
      await redis.start();
    }
    await expect.poll(() => firstValueFrom(lock.run(() => of('back'))).catch(() => 'down'), { timeout: 5000, interval: 50 }).toBe('back');
  });
});
