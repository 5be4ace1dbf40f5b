// What the Redis specs share: one redis-server per describe with two clients of one library on it
// (or one, `app`), a fresh key before each test, and the state they write.
import { firstValueFrom, from } from 'rxjs';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { SessionState } from '../../lib/session/token-set.js';
import { connectClient, type Library, type TestClient } from '../../scripts/fleet/clients.js';
import { startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';

// Live bindings, set by the hooks of `useRedisPair` or `useRedisApp` for the describe that runs.
export let redis: TestRedisServer;
export let a: TestClient;
export let b: TestClient;
/** A key no other test used: `<prefix>:<library>:<n>`. */
export let key: string;
/** The lock's Redis name for `key`. */
export let lockKey: string;
/** The one client of `useRedisApp`. */
export let app: TestClient;

/** Starts redis-server and connects `a` and `b` before the describe; a fresh `key` before each test. */
export function useRedisPair(library: Library, prefix: 'tokens' | 'lock'): void {
  let n = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
    [a, b] = await Promise.all([connectClient(library, redis.url), connectClient(library, redis.url)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });
  beforeEach(() => {
    key = `${prefix}:${library}:${++n}`;
    lockKey = `{${key}}:lock`;
  });
}

/** Starts redis-server and connects one client, `app`, before the describe. */
export function useRedisApp(library: Library): void {
  beforeAll(async () => {
    redis = await startRedisServer();
    app = await connectClient(library, redis.url);
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });
}

export const state = (generation: number, accessToken = `at-${generation}`, refreshToken = `rt-${generation}`): SessionState => ({
  tokens: { accessToken, refreshToken, expiresAt: Date.now() + 60_000 },
  generation,
  revoked: false,
  receivedAt: Date.now(),
  change: 'refresh',
});

export const read = (store: { read(): unknown }) => firstValueFrom(from(store.read() as Promise<SessionState | null>));
export const write = (store: { write(next: SessionState, expected: number): unknown }, next: SessionState, expected: number) =>
  firstValueFrom(from(store.write(next, expected) as Promise<SessionState>));
