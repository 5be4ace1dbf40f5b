// lib/redis/aes-gcm-codec.ts: the stored set sealed with AES-GCM, bound to its key, against a real redis-server.
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { aesGcmCodec, RedisSharedStateError, shareThroughRedis } from '../../lib/redis/index.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { errorOf } from '../helpers/outcomes.js';
import { a, b, key, read, redis, state, useRedisPair, write } from './redis-fixtures.js';

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis token store (%s)', (library) => {
  useRedisPair(library, 'tokens');

  it('encrypts the stored set with the AES-GCM codec; another key or a moved value does not decrypt', async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const sealed = shareThroughRedis({ client: a.client, key, codec: aesGcmCodec(secret) }).store;
    const secretSet = state(1, 'at-secret', 'rt-secret');
    await write(sealed, secretSet, 0);
    const raw = await redis.command('HGET', `{${key}}:state`, 'd');
    expect(raw).not.toContain('rt-secret');
    expect(await read(sealed)).toEqual(secretSet);

    const wrongKey = shareThroughRedis({ client: b.client, key, codec: aesGcmCodec(crypto.getRandomValues(new Uint8Array(32))) }).store;
    const error = await errorOf(from(wrongKey.read() as Promise<unknown>));
    expect(error).toBeInstanceOf(RedisSharedStateError);
    expect((error as RedisSharedStateError).operation).toBe('decode');

    // The ciphertext is bound to its key: copied to another user's key it is refused.
    const other = `${key}:copy`;
    const value = raw.split('\r\n')[1] as string;
    await redis.command('HSET', `{${other}}:state`, 'g', '1', 'd', value);
    const moved = shareThroughRedis({ client: b.client, key: other, codec: aesGcmCodec(secret) }).store;
    expect(await errorOf(from(moved.read() as Promise<unknown>))).toBeInstanceOf(RedisSharedStateError);
    for (const s of [sealed, wrongKey, moved]) s.dispose?.();
    expect(() => aesGcmCodec(new Uint8Array(16))).toThrow(TypeError);
  });
});
