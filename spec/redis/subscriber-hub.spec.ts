// lib/redis/subscriber-hub.ts: one subscriber connection for every session of a process, over a real redis-server.
import { describe, expect, it } from 'vitest';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { subscriberStats } from '../../lib/redis/subscriber-hub.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { app, redis, useRedisApp } from './redis-fixtures.js';

const SESSIONS = 1_000;
const refresh = () => Promise.reject(new Error('no refresh expected'));
const connections = async (redis: TestRedisServer) => (await redis.command('CLIENT', 'LIST')).split('\n').filter((line) => line.includes('addr=')).length;
const channels = async (redis: TestRedisServer) => Number(/^\*(\d+)/.exec(await redis.command('PUBSUB', 'CHANNELS', '*'))?.[1]);

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('1,000 sessions in one process (%s)', (library) => {
  useRedisApp(library);

  it('share one subscriber connection, and leave no connection, channel or listener behind once disposed', async () => {
    const emitter = app.client as unknown as { eventNames(): (string | symbol)[]; listenerCount(event: string | symbol): number };
    const listenersBefore = emitter.eventNames().map((name) => [name, emitter.listenerCount(name)]);
    const before = await connections(redis);
    const sessions: TokenSession[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      sessions.push(
        createTokenSession({
          tokens: { accessToken: `at-${i}`, refreshToken: `rt-${i}`, expiresAt: Date.now() + 600_000 },
          refresh,
          // 1,000 sessions starting in one tick on a loaded 2-core CI machine: give their first
          // store calls (and each Redis command) more than the defaults of 1 s and 2 s.
          storeTimeout: 20_000,
          share: shareThroughRedis({ client: app.client, key: `user:${library}:${i}`, commandTimeout: 20_000 }),
        }),
      );
    }
    try {
      // Each session subscribed its own channel, all on one extra connection.
      await expect.poll(() => channels(redis), { timeout: 10_000, interval: 50 }).toBe(SESSIONS);
      expect(await connections(redis)).toBe(before + 1);
      expect(subscriberStats(app.client)).toEqual({ connections: 1, channels: SESSIONS, listeners: SESSIONS });
      // Every session stored its start state; none refreshed.
      const generations = () => {
        const count: Record<number, number> = {};
        for (const s of sessions) count[s.state.generation] = (count[s.state.generation] ?? 0) + 1;
        return count;
      };
      await expect.poll(generations, { timeout: 20_000, interval: 50 }).toEqual({ 1: SESSIONS });
    } finally {
      for (const session of sessions) session.dispose();
    }

    expect(subscriberStats(app.client)).toEqual({ connections: 0, channels: 0, listeners: 0 });
    await expect.poll(() => connections(redis), { timeout: 10_000, interval: 50 }).toBe(before);
    expect(await channels(redis)).toBe(0);
    expect(emitter.eventNames().map((name) => [name, emitter.listenerCount(name)])).toEqual(listenersBefore);
  }, 60_000);

  it('opens the subscriber again for a session created after the last one was disposed', async () => {
    const first = shareThroughRedis({ client: app.client, key: `again:${library}` });
    const session = createTokenSession({ refresh, share: first });
    await expect.poll(() => channels(redis), { timeout: 5_000, interval: 20 }).toBe(1);
    session.dispose();
    await expect.poll(() => channels(redis), { timeout: 5_000, interval: 20 }).toBe(0);
    const again = createTokenSession({ refresh, share: shareThroughRedis({ client: app.client, key: `again:${library}` }) });
    await expect.poll(() => channels(redis), { timeout: 5_000, interval: 20 }).toBe(1);
    again.dispose();
    expect(subscriberStats(app.client).connections).toBe(0);
  });
});
