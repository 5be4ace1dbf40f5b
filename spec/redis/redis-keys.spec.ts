// lib/redis/redis-keys.ts: the Redis names of one shared session, in one hash tag, against a real redis-server.
import { firstValueFrom, from } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shareThroughRedis } from '../../lib/redis/index.js';
import type { SessionState } from '../../lib/session/token-set.js';
import { connectClient, LIBRARIES, type TestClient } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';

const state = (generation: number, accessToken = `at-${generation}`, refreshToken = `rt-${generation}`): SessionState => ({
  tokens: { accessToken, refreshToken, expiresAt: Date.now() + 60_000 },
  generation,
  revoked: false,
  receivedAt: Date.now(),
  change: 'refresh',
});

const write = (store: { write(next: SessionState, expected: number): unknown }, next: SessionState, expected: number) =>
  firstValueFrom(from(store.write(next, expected) as Promise<SessionState>));

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('Redis token store (%s)', (library) => {
  let redis: TestRedisServer;
  let a: TestClient;
  let b: TestClient;
  let n = 0;
  let key: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    [a, b] = await Promise.all([connectClient(library, redis.url), connectClient(library, redis.url)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });
  beforeEach(() => {
    key = `tokens:${library}:${++n}`;
  });

  it('keeps all names of one key in one hash tag, for Redis Cluster', async () => {
    const { store, lock } = shareThroughRedis({ client: a.client, key });
    await write(store, state(1), 0);
    expect(await redis.command('EXISTS', `{${key}}:state`)).toBe(':1');
    store.dispose?.();
    lock.dispose?.();
    expect(() => shareThroughRedis({ client: a.client, key: 'tokens:{42}' })).toThrow(TypeError);
  });
});
