// Issue 21 item 3: a refresh token is spent when the call reaches the server, not when the answer
// arrives. Once the token call is sent, dispose(), sign-out and the refresh deadline let its answer
// be stored under the lock for the other members (within refreshTimeout plus the store write's
// tries). On 2bb0687 these fail: the call was aborted and the lock let go at once; the server had
// rotated the refresh token already, the next member sent the spent one, and reuse detection
// revoked the whole family (TokenRevokedError everywhere).
import { map, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../lib/errors/network-error.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { strictEndpoint, userTokens, virtualLock, virtualStore, type VirtualStore } from './hardening-fixtures.js';

describe('a token call at the server is never thrown away (issue 21 item 3)', () => {
  let testScheduler: TestScheduler;
  let store: VirtualStore;
  let endpoint: ReturnType<typeof strictEndpoint>;
  let a: TokenSession;
  let b: TokenSession;
  const at = (ms: number, work: () => void) => testScheduler.schedule(work, ms);

  function start(config: Partial<TokenSessionConfig> = {}): void {
    store = virtualStore(testScheduler);
    const lock = virtualLock();
    // The server rotates on arrival and answers 80 ms later.
    endpoint = strictEndpoint(testScheduler, 80);
    const base = { refresh: endpoint.refresh, storeTimeout: 50, scheduler: testScheduler, ...config };
    a = createTokenSession({ ...base, tokens: userTokens('alice'), share: shareStore(store, lock) });
    b = createTokenSession({ ...base, share: shareStore(store, lock) });
  }

  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  function refreshIn(session: TokenSession, ms: number): (string | null)[] {
    const got: (string | null)[] = [];
    at(ms, () => session.tokenAfterRejection(session.state.generation).subscribe({ next: (t) => got.push(t.accessToken), error: (e: Error) => got.push(e.name) }));
    return got;
  }

  it('dispose() during the call: its answer is stored under the lock, the next member adopts it, nothing is sent twice', () => {
    testScheduler.run(() => {
      start();
      const closed: number[] = [];
      Object.assign(store, { dispose: () => closed.push(testScheduler.now()) });
      refreshIn(a, 1); // the call reaches the server at 1, its answer comes at 81
      const gotB = refreshIn(b, 10); // waits for the lock
      at(20, () => a.dispose());
      testScheduler.flush();
      expect(endpoint.calls).toEqual(['alice-r0']);
      expect(endpoint.reuse).toBe(0);
      expect(store.current?.tokens).toEqual(userTokens('alice', 1));
      expect(gotB).toEqual(['alice-a1']);
      expect(b.state.tokens).toEqual(userTokens('alice', 1));
      expect(closed).toEqual([81]);
    });
  });

  it('sign-out during the call: the rotated tokens are stored before the lock goes, then the sign-out over them', () => {
    testScheduler.run(() => {
      start();
      refreshIn(a, 1);
      const gotB = refreshIn(b, 10);
      at(20, () => {
        store.knobs.applyDelay = 100; // the sign-out's write lands at 120, after the call's answer
        a.signOut();
        store.knobs.applyDelay = 0;
      });
      testScheduler.flush();
      expect(endpoint.calls).toEqual(['alice-r0']);
      expect(endpoint.reuse).toBe(0);
      expect(gotB).not.toContain('TokenRevokedError');
      expect(store.current?.tokens).toBeNull();
      expect(b.state.tokens).toBeNull();
      expect(b.state.revoked).toBe(false);
    });
  });

  it('the refresh deadline during the call: waiters hear at the deadline, the answer is still stored for the next member', () => {
    testScheduler.run(() => {
      start({ refreshDeadline: 50 });
      const gotA = refreshIn(a, 1); // deadline at 51, answer at 81
      const gotB = refreshIn(b, 40); // waits for the lock; its own deadline at 90
      testScheduler.flush();
      expect(gotA).toEqual(['TokenRefreshError']);
      expect(endpoint.calls).toEqual(['alice-r0']);
      expect(endpoint.reuse).toBe(0);
      expect(gotB).toEqual(['alice-a1']);
      expect(store.current?.tokens).toEqual(userTokens('alice', 1));
      // a itself takes the answer that landed after its deadline: it never keeps the spent token.
      expect(a.state.tokens).toEqual(userTokens('alice', 1));
      expect(a.state.generation).toBe(store.current?.generation);
      expect(endpoint.calls).toEqual(['alice-r0']);
    });
  });

  it('the last waiter giving up during the call stops nothing (rule 3): the answer is stored, the next member adopts it', () => {
    testScheduler.run(() => {
      start();
      let waiter: { unsubscribe(): void } | undefined;
      at(1, () => (waiter = a.tokenAfterRejection(a.state.generation).subscribe()));
      const gotB = refreshIn(b, 10); // waits for the lock
      at(20, () => waiter?.unsubscribe());
      testScheduler.flush();
      expect(endpoint.calls).toEqual(['alice-r0']);
      expect(a.state.tokens).toEqual(userTokens('alice', 1));
      expect(gotB).toEqual(['alice-a1']);
    });
  });

  it('does not try a failed call again once nobody listens', () => {
    testScheduler.run(() => {
      store = virtualStore(testScheduler);
      let calls = 0;
      const hangUp = (): TokenSet => {
        throw new NetworkError('POST', 'https://auth.example/token', { cause: new Error('socket hang up') });
      };
      const refresh = () => (calls++, timer(30, testScheduler).pipe(map(hangUp)));
      const s = createTokenSession({ tokens: userTokens('alice'), refresh, share: shareStore(store, virtualLock()), scheduler: testScheduler, refreshRetry: { baseDelay: 1, maxRetries: 5 } });
      refreshIn(s, 1);
      at(10, () => s.dispose()); // the call fails at 31, after the dispose: not tried again
      testScheduler.flush();
      expect(calls).toBe(1);
    });
  });

  describe('a session that shares nothing', () => {
    // The deadline ran out while the call was at the server: the session itself is the next to
    // use the refresh token, so the answer must land in it, and a refresh meanwhile must wait for
    // that answer instead of sending the token the server may have spent.
    function alone(): TokenSession {
      endpoint = strictEndpoint(testScheduler, 80);
      return createTokenSession({ refresh: endpoint.refresh, refreshDeadline: 50, tokens: userTokens('alice'), scheduler: testScheduler });
    }

    it('takes the answer that came after the refresh deadline', () => {
      testScheduler.run(() => {
        const s = alone();
        const got = refreshIn(s, 1); // the call reaches the server at 1, the deadline runs out at 51, the answer comes at 81
        testScheduler.flush();
        expect(got).toEqual(['TokenRefreshError']);
        expect(s.state.tokens).toEqual(userTokens('alice', 1));
        expect(endpoint.calls).toEqual(['alice-r0']);
        expect(endpoint.reuse).toBe(0);
      });
    });

    it('a refresh while that call is still out waits for its answer, sending nothing', () => {
      testScheduler.run(() => {
        const s = alone();
        refreshIn(s, 1);
        const again = refreshIn(s, 60);
        testScheduler.flush();
        expect(again).toEqual(['alice-a1']);
        expect(endpoint.calls).toEqual(['alice-r0']);
        expect(endpoint.reuse).toBe(0);
      });
    });

    it('dispose() during the call cuts it: nobody is left to use its answer', () => {
      testScheduler.run(() => {
        const s = alone();
        const got = refreshIn(s, 1);
        at(20, () => s.dispose());
        testScheduler.flush();
        expect(got).toEqual(['TokenRefreshError']);
        expect(endpoint.calls).toEqual(['alice-r0']);
        expect(s.state.tokens).toEqual(userTokens('alice'));
      });
    });
  });
});
