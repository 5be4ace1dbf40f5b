import { filter, firstValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { shareThroughRedis } from '../../lib/redis/index.js';
import { subscriberStats } from '../../lib/redis/subscriber-hub.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { LIBRARIES } from '../../scripts/fleet/clients.js';
import { redisSpecsEnabled } from '../../scripts/fleet/redis-server.js';
import { app, useRedisApp } from './redis-fixtures.js';

const POLL = { timeout: 5_000, interval: 20 };

// Checked before the client is touched, so no Redis is needed.
describe('shareThroughRedis, when a duration is unusable', () => {
  const client = { isOpen: true, isReady: true, sendCommand: () => undefined, duplicate: () => undefined };
  it.each([
    [{ lockTtl: 2 }, 'shareThroughRedis: `lockTtl` must be a number of ms from 3 to 2147483647; got 2'],
    [{ lockWait: -1 }, 'shareThroughRedis: `lockWait` must be a number of ms from 0 to 2147483647; got -1'],
    [{ commandTimeout: Number.NaN }, 'shareThroughRedis: `commandTimeout` must be a number of ms from 1 to 2147483647; got NaN'],
    [{ commandTimeout: '2s' }, 'shareThroughRedis: `commandTimeout` must be a number of ms from 1 to 2147483647; got string'],
  ])('throws a TypeError naming the option for %j', (durations, message) => {
    expect(() => shareThroughRedis({ client, key: 'tokens:ada', ...(durations as object) })).toThrow(new TypeError(message));
  });
});

describe.runIf(redisSpecsEnabled()).each(LIBRARIES)('shareThroughRedis (%s)', (library) => {
  useRedisApp(library);
  let n = 0;

  /** Sessions on one share, with a token endpoint that counts its calls. */
  function sessionsOn(share: ReturnType<typeof shareThroughRedis>) {
    const calls: string[] = [];
    const refresh = (refreshToken: string) => {
      calls.push(refreshToken);
      return of<TokenSet>({ accessToken: `a${calls.length}`, refreshToken: `r${calls.length}`, expiresAt: Date.now() + 600_000 });
    };
    const make = (tokens?: TokenSet): TokenSession => createTokenSession({ tokens, refresh, share });
    return { calls, make };
  }

  describe('when one result is given to two sessions and one of them is disposed', () => {
    it('leaves the other refreshing (one token call) and hearing changes, and releases the subscriber after the last', async () => {
      const share = shareThroughRedis({ client: app.client, key: `one-share:${library}:${++n}` });
      const { calls, make } = sessionsOn(share);
      const a = make({ accessToken: 'a0', refreshToken: 'r0', expiresAt: Date.now() + 600_000 });
      const b = make();
      await expect.poll(() => b.state.tokens?.accessToken, POLL).toBe('a0');

      a.dispose();
      const refreshed = await firstValueFrom(b.refresh$);

      expect(refreshed.refreshToken).toBe('r1');
      expect(calls).toEqual(['r0']);
      const c = make();
      await expect.poll(() => c.state.tokens?.accessToken, POLL).toBe('a1');
      const heard = firstValueFrom(b.tokens$.pipe(filter((tokens) => tokens === null)));
      c.signOut();
      await heard;
      b.dispose();
      c.dispose();
      expect(subscriberStats(app.client).connections).toBe(0);
    });
  });

  describe('when a session is given the result after every earlier one was disposed', () => {
    it('connects it as the first: it starts from the stored state and refreshes', async () => {
      const share = shareThroughRedis({ client: app.client, key: `one-share:${library}:${++n}` });
      const { calls, make } = sessionsOn(share);
      const first = make({ accessToken: 'a0', refreshToken: 'r0', expiresAt: Date.now() + 600_000 });
      await expect.poll(() => first.state.generation, POLL).toBe(1);
      first.dispose();

      const later = make();
      await expect.poll(() => later.state.tokens?.refreshToken, POLL).toBe('r0');
      expect((await firstValueFrom(later.refresh$)).refreshToken).toBe('r1');
      expect(calls).toEqual(['r0']);
      later.dispose();
    });
  });
});
