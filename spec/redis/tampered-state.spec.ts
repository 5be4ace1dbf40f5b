// A state written into Redis by someone else (a script, an attacker with Redis
// access, a buggy deploy) used to be adopted: generation "abc" became NaN, "1e400" Infinity and
// 2^53 + 1 an imprecise number, and a token set of the wrong shape was sent as a header. Each is
// now a typed store failure naming the field: the notice is dropped and said as `store-failed`,
// a refresh fails with reason `store-failed`, and no token call is made from it.
import { firstValueFrom, of } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { connectClient, type TestClient } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alice = (n: number): TokenSet => ({ accessToken: `alice-access-${n}`, refreshToken: `alice-refresh-${n}`, expiresAt: Date.now() + 3_600_000 });
const stateJson = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ tokens: alice(7), generation: 7, revoked: false, receivedAt: Date.now(), change: 'refresh', ...fields });

// What is written into `{key}:state` (hash fields g and d) and published as `s<g>:<d>`.
const TAMPERED: readonly [string, string, string][] = [
  ['generation "abc"', 'abc', stateJson()],
  ['generation "1e400" (Infinity)', '1e400', stateJson()],
  ['generation 2^53 + 1 (not exact as a number)', '9007199254740993', stateJson()],
  ['generation -1', '-1', stateJson()],
  ['an access token that is not a string', '7', stateJson({ tokens: { accessToken: 42, refreshToken: 'alice-refresh-7' } })],
  ['revoked "yes"', '7', stateJson({ revoked: 'yes' })],
];

describe.runIf(redisSpecsEnabled())('a session sharing through Redis, when the stored state was tampered with', () => {
  let redis: TestRedisServer;
  let clients: TestClient[];
  let key: string;
  let n = 0;
  const sessions: TokenSession[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    clients = await Promise.all([connectClient('ioredis', redis.url), connectClient('redis', redis.url)]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await redis?.stop();
  });
  beforeEach(() => {
    key = `tampered:${++n}`;
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) s.dispose();
  });

  /** Members on `key` (one per client), each counting its token calls; the first stores alice-1. */
  async function members(count: number) {
    const calls: string[] = [];
    const started = [];
    for (let i = 0; i < count; i++) {
      const refresh = (refreshToken: string) => {
        calls.push(refreshToken);
        return of(alice(100 + calls.length));
      };
      const session = createTokenSession({ tokens: i === 0 ? alice(1) : null, refresh, share: shareThroughRedis({ client: clients[i]!.client, key }) });
      const events: SessionEvent[] = [];
      session.events$.subscribe((event) => events.push(event));
      sessions.push(session);
      started.push({ session, events });
      await expect.poll(() => session.state.generation).toBe(1);
    }
    await sleep(50); // the shared subscriber subscribes on the next tick
    return { calls, started };
  }

  const tamper = async (generation: string, stored: string) => {
    await redis.command('HSET', `{${key}}:state`, 'g', generation, 'd', stored);
    await redis.command('PUBLISH', `{${key}}:changes`, `s${generation}:${stored}`);
  };

  it.each(TAMPERED)('%s: the notice is dropped and said, a refresh fails as store-failed, and no token call is made', async (_, generation, stored) => {
    const { calls, started } = await members(2);
    await tamper(generation, stored);
    for (const { session, events } of started) {
      await expect.poll(() => events.filter((e) => e.type === 'store-failed')).toMatchObject([{ operation: 'changes', error: { name: 'StoreFailure' } }]);
      const failure = events.find((e) => e.type === 'store-failed');
      expect(failure?.type === 'store-failed' && failure.error.message).toMatch(/invalid change notice: (generation|tokens: accessToken|revoked) /);
      expect(session.state).toMatchObject({ generation: 1, tokens: { accessToken: 'alice-access-1' } });
    }
    // Both members need a refresh at once: neither guesses from the tampered state.
    const refreshed = await Promise.allSettled(started.map(({ session }) => firstValueFrom(session.refresh$)));
    for (const outcome of refreshed) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as TokenRefreshError;
      expect(error).toBeInstanceOf(TokenRefreshError);
      expect(error.reason).toBe('store-failed');
      expect(error.message).not.toMatch(/alice-|42/);
    }
    expect(calls).toEqual([]);
    for (const { session } of started) expect(session.state).toMatchObject({ generation: 1, tokens: { accessToken: 'alice-access-1' } });
    expect(JSON.stringify(started.map((s) => s.events.map((e) => ('error' in e ? { ...e, message: e.error.message } : e))))).not.toMatch(/alice-/);
  });

  it('refreshes once for both members again once the key is repaired', async () => {
    const { calls, started } = await members(2);
    await tamper('1e400', stateJson());
    await expect.poll(() => started.every(({ events }) => events.some((e) => e.type === 'store-failed'))).toBe(true);
    await redis.command('DEL', `{${key}}:state`);
    const refreshed = await Promise.all(started.map(({ session }) => firstValueFrom(session.refresh$)));
    // One token call, with the refresh token both held; the one that waited for the lock adopts it.
    expect(calls).toEqual(['alice-refresh-1']);
    expect(refreshed.map((t) => t.accessToken)).toEqual(['alice-access-101', 'alice-access-101']);
    expect(await redis.command('HGET', `{${key}}:state`, 'g')).toMatch(/\$1\r\n2$/);
  });
});
