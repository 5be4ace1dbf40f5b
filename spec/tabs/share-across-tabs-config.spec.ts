import { firstValueFrom, from, of } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { shareAcrossTabs } from '../../lib/tabs/index.js';

// In node: no Web Locks, so the fallback. The browser behaviour is in the other spec/tabs files.
describe('shareAcrossTabs', () => {
  describe('when the config is unusable', () => {
    it.each([
      [undefined, /non-empty `name`/],
      [{ name: '' }, /non-empty `name`/],
      [{ name: 'app', persist: 'session' }, /`persist` must be 'local'/],
      [{ name: 'app', answerTimeout: 0 }, /shareAcrossTabs: `answerTimeout` must be a number of ms from 1 to 2147483647; got 0/],
      [{ name: 'app', holdLimit: -1 }, /shareAcrossTabs: `holdLimit` must be a number of ms from 1 to 2147483647; got -1/],
    ])('throws a TypeError naming the field for %j', (config, message) => {
      expect(() => shareAcrossTabs(config as never)).toThrow(TypeError);
      expect(() => shareAcrossTabs(config as never)).toThrow(message);
    });
  });

  describe('when Web Locks are missing (here: node)', () => {
    it('warns once and returns a store and lock that share nothing between calls', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const a = shareAcrossTabs({ name: 'app' });
      const b = shareAcrossTabs({ name: 'app' });
      const state = { tokens: { accessToken: 'a' }, generation: 1, revoked: false, receivedAt: 1, change: 'sign-in' as const };
      expect(await firstValueFrom(from(a.store.write(state, 0)))).toEqual(state);
      expect(await firstValueFrom(from(a.store.read()))).toEqual(state);
      expect(await firstValueFrom(from(b.store.read()))).toBeNull();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/no Web Locks or BroadcastChannel/);
    });

    it('connects no session: sessions given one result never see each other, as with no share', async () => {
      vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const share = shareAcrossTabs({ name: 'app' }); // once, as a config evaluated at module load
      const calls: string[] = [];
      const refresh = (refreshToken: string) => (calls.push(refreshToken), of({ accessToken: `${refreshToken}:renewed`, refreshToken }));
      const alice = createTokenSession({ refresh, share });
      const visitor = createTokenSession({ refresh, share });

      alice.setTokens({ accessToken: 'alice-access', refreshToken: 'alice-refresh' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const later = createTokenSession({ refresh, share });
      await new Promise((resolve) => setTimeout(resolve, 20));

      expect(visitor.state.tokens).toBeNull();
      expect(later.state.tokens).toBeNull();
      expect(await firstValueFrom(later.token())).toMatchObject({ accessToken: null, generation: 0 });
      visitor.setTokens({ accessToken: 'bob-access', refreshToken: 'bob-refresh' });
      alice.dispose();
      expect(await firstValueFrom(visitor.refresh$)).toEqual({ accessToken: 'bob-refresh:renewed', refreshToken: 'bob-refresh' });
      expect(calls).toEqual(['bob-refresh']);
      expect(share.store).toBeDefined();
      visitor.dispose();
      later.dispose();
    });
  });
});

describe('shareAcrossTabs on a server runtime with Web Locks and BroadcastChannel (as Node 24.5+)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shares nothing between the sessions of different server requests', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    // Node has BroadcastChannel (one per process); give it navigator.locks as newer Node does.
    const request = (name: string, _options: unknown, granted: (lock: unknown) => unknown) => Promise.resolve().then(() => granted({ name, mode: 'exclusive' }));
    vi.stubGlobal('navigator', { locks: { request, query: () => Promise.resolve({ held: [], pending: [] }) } });
    expect(typeof globalThis.BroadcastChannel).toBe('function');
    const share = shareAcrossTabs({ name: 'ssr' });
    const refresh = () => of({ accessToken: 'unused' });
    const alice = createTokenSession({ refresh, share });
    const visitor = createTokenSession({ refresh, share, storeTimeout: 50 });

    alice.setTokens({ accessToken: 'alice-access', refreshToken: 'alice-refresh' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const later = createTokenSession({ refresh, share, storeTimeout: 50 });
    await new Promise((resolve) => setTimeout(resolve, 100));

    try {
      expect(visitor.state.tokens).toBeNull();
      expect(later.state.tokens).toBeNull();
    } finally {
      for (const session of [alice, visitor, later]) session.dispose();
    }
  });
});
