// lib/session/sharing/locked-refresh.ts: the refresh under the lock. Once the token call was sent,
// its answer is stored before the lock goes, whatever ends the refresh for its waiters.
import { map, type Observable, of, type SchedulerLike, throwError, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../../lib/errors/request-error.js';
import { TokenRevokedError } from '../../../lib/errors/token-revoked-error.js';
import { oauth2RefreshGrant } from '../../../lib/oauth2/oauth2-refresh-grant.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../../lib/session/create-token-session.js';
import { shareInMemory } from '../../../lib/session/sharing/share-in-memory.js';
import { shareStore } from '../../../lib/session/sharing/share-store.js';
import type { TokenSet } from '../../../lib/session/token-set.js';
import { createTestScheduler } from '../../helpers/marbles.js';
import { startRotatingEndpoint } from '../../helpers/rotating-endpoint.js';
import { strictEndpoint, userTokens, virtualLock, virtualStore, type VirtualStore } from '../../helpers/virtual-store.js';
import { record, refreshIn, testScheduler, useTestScheduler, watched } from '../session-fixtures.js';

// A refresh token is spent the moment the token endpoint answers. From then on, the store write of
// the result under the lock must finish before the lock is let go, whatever ends the refresh for
// its waiters: the next holder reads the store, and a store that still holds the spent token sends
// it again (with reuse detection, the server revokes the whole family).
//
// Found by shared-state.property (reuseDetected 1): a refresh that waited most of its
// refreshDeadline for the lock got its answer just before the deadline; the deadline answered the
// waiters and, on the way, cancelled the write and let the lock go. The next member read the spent
// refresh token and sent it. Before the fix these fail with two calls of `alice-r0`.
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
      a.token(a.state.generation).subscribe({
        next: (token) => (gotA.push(token.accessToken), answeredA.push(testScheduler.now())),
        error: () => gotA.push('error'),
      });
    });
    at(50, () => b.token(b.state.generation).subscribe({ next: (token) => gotB.push(token.accessToken), error: () => gotB.push('error') }));
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

// Issue 21 item 3: a refresh token is spent when the call reaches the server, not when the answer
// arrives. Once the token call is sent, dispose(), sign-out and the refresh deadline let its answer
// be stored under the lock for the other members (within refreshTimeout plus the store write's
// tries). On 2bb0687 these fail: the call was aborted and the lock let go at once; the server had
// rotated the refresh token already, the next member sent the spent one, and reuse detection
// revoked the whole family (TokenRevokedError everywhere).
describe('a token call at the server is never thrown away (issue 21 item 3)', () => {
  useTestScheduler();
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
      at(1, () => (waiter = a.token(a.state.generation).subscribe()));
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
});

// Issue 21 item 3 with shareInMemory() (real time) and a real node:http token endpoint that
// rotates the refresh token when the request arrives and revokes the family on reuse. On 2bb0687
// dispose() during the call aborted it and let the lock go; the other session presented the
// spent refresh token and the whole family was revoked.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('shareInMemory: a token call at the server when the refresh is stopped', () => {
  const sessions: TokenSession[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.dispose();
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it.each(['dispose', 'deadline'] as const)('%s during the call: the answer is stored, the other session never presents the spent refresh token', async (stop) => {
    const endpoint = await startRotatingEndpoint(300);
    closers.push(endpoint.close);
    const share = shareInMemory();
    const refresh = oauth2RefreshGrant({ tokenUrl: endpoint.url });
    const a = createTokenSession({ refresh, share, tokens: { accessToken: 'at-0', refreshToken: 'rt-0' }, ...(stop === 'deadline' ? { refreshDeadline: 150 } : {}) });
    const b = createTokenSession({ refresh, share });
    sessions.push(a, b);
    await sleep(30);
    expect(b.state.tokens?.refreshToken).toBe('rt-0');
    a.token(a.state.generation).subscribe({ error: () => undefined });
    while (endpoint.stats.calls === 0) await sleep(5);
    if (stop === 'dispose') a.dispose();
    const gotB: string[] = [];
    b.token(b.state.generation).subscribe({ next: (t) => gotB.push(t.accessToken ?? 'none'), error: (e: Error) => gotB.push(e.name) });
    for (let i = 0; i < 200 && gotB.length === 0; i++) await sleep(10);
    expect(endpoint.stats.arrived).toEqual(['rt-0']);
    expect(endpoint.stats.reuse).toBe(0);
    expect(gotB).toEqual(['at-1']);
    expect(share.current?.tokens?.refreshToken).toBe('rt-1');
  });
});

// From the bounded waits of issue 8, item 4 (see spec/session/refreshes.spec.ts).
describe('hardening: bounded waits', () => {
  useTestScheduler();

  describe('a store write that times out after the token endpoint answered', () => {
    it('does not lose the rotated tokens: the next refresh does not spend the old refresh token', () => {
      testScheduler.run(() => {
        // A rotating authorization server: each refresh token works once; reusing a spent one is invalid_grant.
        const spent = new Set<string>();
        const sent: string[] = [];
        let n = 0;
        const refresh = (refreshToken: string): Observable<TokenSet> => {
          sent.push(refreshToken);
          if (spent.has(refreshToken)) return throwError(() => new TokenRevokedError());
          spent.add(refreshToken);
          n++;
          return timer(10, testScheduler).pipe(map(() => userTokens('alice', n)));
        };
        const store = virtualStore(testScheduler);
        const { session: s, events } = watched({ refresh, share: shareStore(store, virtualLock()), refreshDeadline: 5_000 });
        testScheduler.flush();
        const start = testScheduler.now();
        // The refresh's write is lost (a dropped connection); the store answers again afterwards.
        testScheduler.schedule(() => (store.knobs.applyDelay = 'never'), start + 5);
        testScheduler.schedule(() => (store.knobs.applyDelay = 0), start + 20);
        const first = record(() => s.token(s.state.generation), start);
        testScheduler.flush();
        expect(first.error).toBeUndefined();
        // The next 401: the session must not send the refresh token the server already rotated away.
        const second = record(() => s.token(s.state.generation), start + 10_000);
        testScheduler.flush();
        expect(events.filter((e) => e.type === 'session-revoked')).toEqual([]);
        expect(sent.filter((token) => token === 'alice-r0')).toHaveLength(1);
        expect(second.error).toBeUndefined();
      });
    });
  });
});
