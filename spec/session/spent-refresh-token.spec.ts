// A refresh token is spent the moment the token endpoint answers. From then on, the store write of
// the result under the lock must finish before the lock is let go, whatever ends the refresh for
// its waiters: the next holder reads the store, and a store that still holds the spent token sends
// it again (with reuse detection, the server revokes the whole family).
//
// Found by shared-state.property (reuseDetected 1): a refresh that waited most of its
// refreshDeadline for the lock got its answer just before the deadline; the deadline answered the
// waiters and, on the way, cancelled the write and let the lock go. The next member read the spent
// refresh token and sent it. Before the fix these fail with two calls of `alice-r0`.
import { of, map, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { userTokens, virtualLock, virtualStore, type VirtualStore } from './hardening-fixtures.js';

/** A rotating token endpoint: each call answers after `latency` ms with the user's next tokens. */
function rotatingEndpoint(scheduler: SchedulerLike, latency: number) {
  const calls: string[] = [];
  const refresh = (refreshToken: string): Observable<TokenSet> => {
    const n = calls.push(refreshToken);
    return timer(latency, scheduler).pipe(map(() => userTokens('alice', n)));
  };
  return { calls, refresh };
}

describe('a refresh token spent just before the refresh ends', () => {
  let testScheduler: TestScheduler;
  let store: VirtualStore;
  let lock: ReturnType<typeof virtualLock>;
  let endpoint: ReturnType<typeof rotatingEndpoint>;
  let a: TokenSession;
  let b: TokenSession;
  const at = (ms: number, work: () => void) => testScheduler.schedule(work, ms);

  beforeEach(() => {
    testScheduler = createTestScheduler();
    store = virtualStore(testScheduler);
    lock = virtualLock();
    // The token endpoint answers at 91; the store applies the write 30 ms after it is sent, and
    // an unsubscribed write is never applied (an aborted call), so a cut write is lost.
    endpoint = rotatingEndpoint(testScheduler, 90);
    const config = { refresh: endpoint.refresh, refreshDeadline: 100, storeTimeout: 50, scheduler: testScheduler };
    a = createTokenSession({ ...config, tokens: userTokens('alice'), share: shareStore(store, lock) });
    b = createTokenSession({ ...config, share: shareStore(store, lock) });
  });

  /** A's refresh from 1 (deadline at 101), B's from 50, waiting for the lock A holds. */
  function refreshBoth(): { gotA: (string | null)[]; gotB: (string | null)[]; answeredA: number[] } {
    const gotA: (string | null)[] = [];
    const gotB: (string | null)[] = [];
    const answeredA: number[] = [];
    at(1, () => {
      Object.assign(store.knobs, { applyDelay: 30, cancellable: true });
      a.tokenAfterRejection(a.state.generation).subscribe({
        next: (token) => (gotA.push(token.accessToken), answeredA.push(testScheduler.now())),
        error: () => gotA.push('error'),
      });
    });
    at(50, () => b.tokenAfterRejection(b.state.generation).subscribe({ next: (token) => gotB.push(token.accessToken), error: () => gotB.push('error') }));
    return { gotA, gotB, answeredA };
  }

  it('answers the waiters at the deadline, writes the rotated tokens before letting the lock go, and the next holder adopts them', () => {
    testScheduler.run(() => {
      expect(b.state.tokens).toEqual(userTokens('alice'));
      const { gotA, gotB, answeredA } = refreshBoth();
      // Reads from now on answer in 25 ms: A's own read after the deadline (101) sees its write (121).
      at(2, () => (store.knobs.readDelay = 25));
      testScheduler.flush();
      expect(endpoint.calls).toEqual(['alice-r0']);
      // The waiters did not wait for the write: the deadline still bounds them.
      expect(answeredA).toEqual([101]);
      expect(gotA).toEqual(['alice-a1']);
      expect(gotB).toEqual(['alice-a1']);
      expect(store.current?.tokens).toEqual(userTokens('alice', 1));
      expect(b.state.tokens).toEqual(userTokens('alice', 1));
      // A holds a result the store took meanwhile: it is not written again under a new number.
      expect(store.writes.filter((w) => w.applied).map((w) => w.next.generation)).toEqual([1, 2]);
    });
  });

  it.each(['signOut', 'dispose'] as const)('keeps the write of the rotated tokens alive through a %s during it', (end) => {
    testScheduler.run(() => {
      const disposed: number[] = [];
      Object.assign(store, { dispose: () => disposed.push(testScheduler.now()) });
      const { gotB } = refreshBoth();
      at(95, () => a[end]()); // after the token endpoint answered (91), before the write lands (121)
      testScheduler.flush();
      expect(endpoint.calls).toEqual(['alice-r0']);
      expect(gotB).not.toContain('alice-a0');
      if (end === 'signOut') {
        // The sign-out is written after the rotated tokens and wins, in the store and in B.
        expect(store.current?.tokens ?? null).toBeNull();
        expect(b.state.tokens).toBeNull();
      } else {
        expect(store.current?.tokens).toEqual(userTokens('alice', 1));
        // A's store is closed after the write landed, not under it.
        expect(disposed).toEqual([121]);
      }
    });
  });

  it('lets the lock go once the write has had its tries, when the store never applies it', () => {
    testScheduler.run(() => {
      refreshBoth();
      at(2, () => (store.knobs.applyDelay = 'never'));
      const granted: number[] = [];
      at(60, () => lock.run(() => of(testScheduler.now())).subscribe((now) => granted.push(now)));
      b.dispose(); // only a and the probe want the lock
      testScheduler.flush();
      // Five tries of at most storeTimeout (50 ms) each from 91: the lock is free by 341, not held forever.
      expect(granted).toHaveLength(1);
      expect(granted[0]).toBeGreaterThan(101);
      expect(granted[0]).toBeLessThanOrEqual(91 + 5 * 50);
    });
  });
});
