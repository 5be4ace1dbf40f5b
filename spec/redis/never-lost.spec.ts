// No change is lost and no spent refresh token is presented, against a real redis-server: two
// sessions on two Redis clients (two processes' worth of connections), and for the token call a
// real node:http token endpoint that rotates the refresh token when the request arrives and
// revokes the family when a spent one comes back.
//
// On 2bb0687 these fail: the sign-out or sign-in made right before dispose() never reached Redis;
// a member already signed out skipped its sign-out while the other's sign-in was on its way; a
// server whose clock runs 2 s ahead won with a sign-in made before the other's sign-out;
// dispose(), signOut() or the refresh deadline while the token call was at the server aborted it,
// the next member presented the spent refresh token and the whole family was revoked.
import { asyncScheduler, from, timer, switchMap, type ObservableInput, type SchedulerLike } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../lib/oauth2/oauth2-refresh-grant.js';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import type { SessionState } from '../../lib/session/token-set.js';
import type { Share } from '../../lib/session/token-store.js';
import { connectClient, LIBRARIES, type TestClient } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled, startRedisServer, type TestRedisServer } from '../../scripts/fleet/redis-server.js';
import { startRotatingEndpoint } from '../helpers/rotating-endpoint.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A share whose writes wait `ms` before they are sent (a slow link to the store). */
function slowWrites(share: Share, ms: number): Share {
  const { store, lock } = share;
  const write = (next: SessionState, expected: number): ObservableInput<SessionState> => timer(ms).pipe(switchMap(() => from(store.write(next, expected))));
  return shareStore({ read: () => store.read(), write, changes$: store.changes$, dispose: () => store.dispose?.() }, lock as NonNullable<typeof lock>);
}

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('two sessions sharing through a real Redis never lose a change (%s)', (library) => {
  let redis: TestRedisServer;
  let one: TestClient;
  let two: TestClient;
  let n = 0;
  const sessions: TokenSession[] = [];
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    [one, two] = await Promise.all([connectClient(library, redis.url), connectClient(library, redis.url)]);
  }, 30_000);
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.dispose();
    await Promise.all(closers.splice(0).map((close) => close()));
    await sleep(50);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await redis?.stop();
  }, 30_000);

  /** Two members on one new key, one per Redis client; `a` starts signed in (or not). */
  async function members(config: Partial<TokenSessionConfig> & { refresh?: TokenSessionConfig['refresh'] } = {}, options: { signedIn?: boolean; shareA?: (s: Share) => Share; shareB?: (s: Share) => Share; configA?: Partial<TokenSessionConfig> } = {}) {
    const key = `never-lost:${library}:${++n}`;
    const refresh = config.refresh ?? oauth2RefreshGrant({ tokenUrl: 'http://127.0.0.1:9/token' });
    const wrapA = options.shareA ?? ((s) => s);
    const wrapB = options.shareB ?? ((s) => s);
    const a = createTokenSession({ ...config, ...options.configA, refresh, tokens: options.signedIn === false ? undefined : { accessToken: 'at-0', refreshToken: 'rt-0' }, share: wrapA(shareThroughRedis({ client: one.client, key })) });
    sessions.push(a);
    await until('a to start', () => a.state.generation > 0 || options.signedIn === false);
    await sleep(50);
    const b = createTokenSession({ ...config, refresh, share: wrapB(shareThroughRedis({ client: two.client, key })) });
    sessions.push(b);
    await until('b to start from Redis', () => b.state.generation === a.state.generation && (options.signedIn === false || b.state.tokens !== null));
    return { a, b, key };
  }

  const storedTokens = async (key: string) => {
    const reader = shareThroughRedis({ client: two.client, key });
    const state = (await new Promise((resolve, reject) => from(reader.store.read()).subscribe({ next: resolve, error: reject }))) as SessionState | null;
    reader.store.dispose?.();
    reader.lock.dispose?.();
    return state?.tokens ?? null;
  };

  describe('when a member is disposed right after a change', () => {
    it('signOut() then dispose(): Redis and the other process are signed out', async () => {
      const { a, b, key } = await members();
      a.signOut();
      a.dispose();
      await until('b to be signed out', () => b.state.tokens === null).catch(() => undefined);
      expect(await storedTokens(key)).toBeNull();
      expect(b.state.tokens).toBeNull();
    });

    it('setTokens() then dispose(): Redis and the other process hold the new sign-in', async () => {
      const { a, b, key } = await members();
      a.setTokens({ accessToken: 'bob-a', refreshToken: 'bob-r' });
      a.dispose();
      await until('b to hold bob', () => b.state.tokens?.accessToken === 'bob-a').catch(() => undefined);
      expect((await storedTokens(key))?.accessToken).toBe('bob-a');
      expect(b.state.tokens?.accessToken).toBe('bob-a');
    });
  });

  describe('when a member already signed out signs out while the other’s sign-in is on its way', () => {
    it('writes its sign-out anyway; it reaches Redis last and both end signed out', async () => {
      // b's writes take 30 ms to leave, a's 100 ms: b's sign-in lands while a's sign-out is on its way.
      const { a, b, key } = await members({}, { signedIn: false, shareA: (s) => slowWrites(s, 100), shareB: (s) => slowWrites(s, 30) });
      a.signOut(); // signed out already: writes the store's first sign-out
      await until('a sign-out stored', () => a.state.generation >= 1);
      await sleep(150);
      b.setTokens({ accessToken: 'bob-a', refreshToken: 'bob-r' });
      await sleep(5);
      a.signOut(); // its read still says signed out
      await sleep(600);
      expect(await storedTokens(key)).toBeNull();
      expect(a.state.tokens).toBeNull();
      expect(b.state.tokens).toBeNull();
    });
  });

  describe('when the servers’ clocks disagree', () => {
    it('a sign-out made after a sign-in on a server whose clock runs 2 s ahead wins', async () => {
      const ahead: SchedulerLike = { now: () => Date.now() + 2_000, schedule: (work, delay, state) => asyncScheduler.schedule(work as never, delay, state) };
      const { a, b, key } = await members({}, { configA: { scheduler: ahead } });
      a.setTokens({ accessToken: 'bob-a', refreshToken: 'bob-r' });
      await until('b to hold bob', () => b.state.tokens?.accessToken === 'bob-a');
      await sleep(200);
      b.signOut(); // later in fact, earlier by a's clock
      await until('a to be signed out', () => a.state.tokens === null).catch(() => undefined);
      expect(await storedTokens(key)).toBeNull();
      expect(a.state.tokens).toBeNull();
      expect(b.state.tokens).toBeNull();
    });
  });

  describe('when the refresh is stopped while its token call is at the server', () => {
    it.each(['dispose', 'signOut', 'deadline'] as const)('%s during the call: the answer is stored, the next member never presents the spent refresh token', async (stop) => {
      const endpoint = await startRotatingEndpoint(400);
      closers.push(endpoint.close);
      const refresh = oauth2RefreshGrant({ tokenUrl: endpoint.url });
      // With 'deadline', a's refresh gives up at 200 ms, before the answer (400 ms); b waits longer.
      // With 'signOut', a's writes take 300 ms to leave: the sign-out lands after b read Redis.
      const { a, b, key } = await members({ refresh }, { configA: stop === 'deadline' ? { refreshDeadline: 200 } : {}, shareA: stop === 'signOut' ? (s) => slowWrites(s, 300) : undefined });
      const gotA: string[] = [];
      a.token(a.state.generation).subscribe({ next: (t) => gotA.push(t.accessToken ?? 'none'), error: (e: Error) => gotA.push(e.name) });
      await until('the call to reach the server', () => endpoint.stats.calls === 1);
      if (stop === 'dispose') a.dispose();
      if (stop === 'signOut') a.signOut();
      const gotB: string[] = [];
      b.token(b.state.generation).subscribe({ next: (t) => gotB.push(t.accessToken ?? 'none'), error: (e: Error) => gotB.push(e.name) });
      await until('b to hear', () => gotB.length > 0, 5_000);
      await sleep(300);
      expect(endpoint.stats.arrived).toEqual(['rt-0']);
      expect(endpoint.stats.reuse).toBe(0);
      expect(gotB).not.toContain('TokenRevokedError');
      expect(b.state.revoked).toBe(false);
      if (stop === 'signOut') {
        expect(await storedTokens(key)).toBeNull();
        expect(b.state.tokens).toBeNull();
      } else {
        expect(gotB).toEqual(['at-1']);
        expect((await storedTokens(key))?.refreshToken).toBe('rt-1');
      }
      if (stop === 'deadline') expect(gotA).toEqual(['TokenRefreshError']);
    }, 15_000);
  });
});
