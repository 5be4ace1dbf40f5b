// lib/redis/redis-store.ts: the shared token set in Redis (fenced writes, notices by pub/sub), against a real redis-server.
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { a, b, key, read, redis, state, useRedisPair, write } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis token store (%s)', (library) => {
  useRedisPair(library, 'tokens');

  it('reads null from an empty key, then what was written', async () => {
    const { store } = shareThroughRedis({ client: a.client, key });
    expect(await read(store)).toBeNull();
    const first = state(1);
    expect(await write(store, first, 0)).toEqual(first);
    expect(await read(store)).toEqual(first);
    store.dispose?.();
  });

  it('fences writes on the generation the writer read, not on "newer than stored"', async () => {
    const one = shareThroughRedis({ client: a.client, key }).store;
    const two = shareThroughRedis({ client: b.client, key }).store;
    await write(one, state(1), 0);
    const winner = state(2, 'at-winner', 'rt-winner');
    expect(await write(one, winner, 1)).toEqual(winner);
    // A late writer that read generation 1: refused, and told what Redis holds.
    expect(await write(two, state(2, 'at-late', 'rt-late'), 1)).toEqual(winner);
    // Even when it claims a higher generation than the stored one (it adopted 2 by pub/sub and bumped).
    expect(await write(two, state(3, 'at-late', 'rt-late'), 1)).toEqual(winner);
    // And a write that does not move the generation forward is refused too.
    expect(await write(two, state(2, 'at-same', 'rt-same'), 2)).toEqual(winner);
    expect(await read(two)).toEqual(winner);
    one.dispose?.();
    two.dispose?.();
  });

  it('answers generation 0 when Redis lost the state, and then accepts a write over nothing at a higher generation', async () => {
    const { store } = shareThroughRedis({ client: a.client, key });
    await write(store, state(4), 0);
    await redis.command('DEL', `{${key}}:state`);
    const refused = await write(store, state(5), 4);
    expect(refused.generation).toBe(0);
    expect((await write(store, state(5), 0)).generation).toBe(5);
    expect((await read(store))?.generation).toBe(5);
    store.dispose?.();
  });

  it('delivers accepted writes to other processes through pub/sub, in order, without a read', async () => {
    const writer = shareThroughRedis({ client: a.client, key }).store;
    const reader = shareThroughRedis({ client: b.client, key }).store;
    const seen = firstValueFrom(reader.changes$!.pipe(take(2), toArray()));
    await new Promise((r) => setTimeout(r, 50)); // the subscription is batched to the next tick
    await write(writer, state(1), 0);
    await write(writer, state(2), 1);
    await write(writer, state(9), 1); // refused: no notice
    expect((await seen).map((s) => s.generation)).toEqual([1, 2]);
    writer.dispose?.();
    reader.dispose?.();
  });

  it('a store that subscribed while Redis was down hears the notices once Redis is back', async () => {
    await redis.stop();
    const reader = shareThroughRedis({ client: b.client, key }).store;
    const seen = firstValueFrom(reader.changes$!);
    try {
      await new Promise((r) => setTimeout(r, 100)); // the SUBSCRIBE is tried, and fails or waits
    } finally {
      await redis.start();
    }
    const writer = shareThroughRedis({ client: a.client, key }).store;
    // Both clients reconnect on their own; then the resubscription (or the retry) is in place.
    await expect.poll(() => write(writer, state(1), 0).then((s) => s.generation).catch(() => 0), { timeout: 5_000, interval: 50 }).toBe(1);
    let generation = 1;
    const published = setInterval(() => void write(writer, state(generation + 1), generation).then(() => generation++, () => undefined), 200);
    try {
      expect((await seen).generation).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(published);
      writer.dispose?.();
      reader.dispose?.();
    }
  });
});
