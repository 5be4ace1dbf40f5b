import { defer, filter, firstValueFrom, Observable, of, Subject, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { oauth2RefreshGrant } from '../../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession, type TokenSession } from '../../../lib/session/create-token-session.js';
import { shareInMemory } from '../../../lib/session/sharing/share-in-memory.js';
import { shareStore } from '../../../lib/session/sharing/share-store.js';
import type { SessionState, TokenSet } from '../../../lib/session/token-set.js';
import type { RefreshLock, TokenStore } from '../../../lib/session/token-store.js';

/** A store and lock of an app's own that, like most, stop working once disposed. */
function ownStoreAndLock() {
  let row: SessionState | null = null;
  const notices = new Subject<SessionState>();
  const disposed = { store: 0, lock: 0 };
  const alive = <T>(what: 'store' | 'lock', run: () => Observable<T>) => defer(() => (disposed[what] > 0 ? throwError(() => new Error(`the ${what} was disposed`)) : run()));
  const store: TokenStore = {
    read: () => alive('store', () => of(row)),
    write: (next, expected) =>
      alive('store', () => {
        if ((row?.generation ?? 0) === expected) {
          row = next;
          setTimeout(() => notices.next(next));
        }
        return of(row as SessionState);
      }),
    changes$: notices.asObservable(),
    dispose: () => void disposed.store++,
  };
  const { lock: inner } = shareInMemory();
  const lock: RefreshLock = { run: (task) => alive('lock', () => inner.run(task)), dispose: () => void disposed.lock++ };
  return { store, lock, disposed };
}

describe('shareStore', () => {
  describe('when one result is given to two sessions and one of them is disposed', () => {
    it('leaves the other refreshing once and hearing changes, and disposes the store and lock after the last', async () => {
      const { store, lock, disposed } = ownStoreAndLock();
      const share = shareStore(store, lock);
      const calls: string[] = [];
      const refresh = (refreshToken: string) => (calls.push(refreshToken), of<TokenSet>({ accessToken: 'a1', refreshToken: 'r1' }));
      const make = (tokens?: TokenSet): TokenSession => createTokenSession({ tokens, refresh, share });
      const a = make({ accessToken: 'a0', refreshToken: 'r0' });
      const b = make();
      await expect.poll(() => b.state.tokens?.accessToken).toBe('a0');

      a.dispose();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(disposed).toEqual({ store: 0, lock: 0 });
      expect(await firstValueFrom(b.refresh$)).toEqual({ accessToken: 'a1', refreshToken: 'r1' });
      expect(calls).toEqual(['r0']);

      const c = make();
      await expect.poll(() => c.state.tokens?.accessToken).toBe('a1');
      const heard = firstValueFrom(b.tokens$.pipe(filter((tokens) => tokens === null)));
      c.signOut();
      await heard;
      b.dispose();
      c.dispose();
      await expect.poll(() => disposed).toEqual({ store: 1, lock: 1 });
    });
  });

  describe('when the store or lock lacks a method', () => {
    it('throws a TypeError naming the contract', () => {
      expect(() => shareStore({} as TokenStore)).toThrow(TypeError);
      expect(() => shareStore({ read: () => of(null), write: () => of<SessionState>({ tokens: null, generation: 0, revoked: false, receivedAt: 0, change: 'sign-out' }) }, {} as RefreshLock)).toThrow(/`lock` needs `run\(task\)`/);
    });
  });
});

describe('createTokenSession with a shared TokenStore and RefreshLock', () => {
  const sessions: TokenSession[] = [];
  afterEach(() => {
    for (const s of sessions.splice(0)) s.dispose();
  });

  describe('when a store is passed the way it is not meant to be', () => {
    const refresh = oauth2RefreshGrant({ tokenUrl: 'https://auth.test/oauth/token' });
    const { store, lock } = shareInMemory();

    it('says how to pass a bare store and lock: through shareStore', () => {
      const bare = { refresh, store, lock } as unknown as Parameters<typeof createTokenSession>[0];
      expect(() => createTokenSession(bare)).toThrow(new TypeError('createTokenSession: pass a store and lock as `share: shareStore(store, lock)`'));
    });

    it('refuses a `share` that did not come from a sharing helper', () => {
      const forged = { refresh, share: { store, lock } } as unknown as Parameters<typeof createTokenSession>[0];
      expect(() => createTokenSession(forged)).toThrow(/`share` must come from shareStore\(\)/);
    });

    it('refuses a store or lock without its methods, naming the contract', () => {
      expect(() => shareStore({ read: () => [null] } as unknown as TokenStore)).toThrow(/needs `read\(\)` and `write\(next, expected\)`/);
      expect(() => shareStore(store, {} as never)).toThrow(/`lock` needs `run\(task\)`/);
    });

    it('shares through your own store with shareStore, lock optional', async () => {
      const mine = shareStore(store);
      const a = createTokenSession({ refresh, tokens: { accessToken: 'a-1', refreshToken: 'r-1' }, share: mine });
      const b = createTokenSession({ refresh, share: mine });
      sessions.push(a, b);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(b.state.tokens?.accessToken).toBe('a-1');
      expect(mine.lock).toBeUndefined();
    });
  });
});
