// Issue 8, item 4 and rule 13: every wait of a session is bounded. A token endpoint that never
// answers, a store whose read or write never settles, a lock never granted: every waiter fails
// with a typed TokenRefreshError by `refreshDeadline`, and a request waits for the session's first
// read of the store at most `storeTimeout`. A waiter that leaves does not cancel the refresh
// (rule 3). Also signOut({ revoke: true }) (item 16): best effort, never blocking the sign-out.
//
// On commit 8757acd these fail: a hung token endpoint held every waiter 41.7 s (4 attempts x 10 s
// + backoff, there was no `refreshDeadline`); a store read/write or a lock that never answered held
// requests forever (no `storeTimeout`, no deadline around the lock); `signOut` took no options
// and the config had no `revoke`.
import { NEVER, map, takeUntil, throwError, timer, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { shareStore } from '../../lib/session/sharing/share-store.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { outcome } from '../helpers/outcomes.js';
import { userOf, userTokens, virtualLock, virtualStore, type VirtualStore } from './hardening-fixtures.js';

describe('hardening: bounded waits', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  /** Subscribes at `at` and records when and how it ended. */
  function record(source: () => Observable<unknown>, at = 0) {
    const result: { at?: number; value?: unknown; error?: unknown } = {};
    testScheduler.schedule(() => {
      source().subscribe({
        next: (value) => (result.value = value),
        error: (error: unknown) => ((result.at = testScheduler.now()), (result.error = error)),
        complete: () => (result.at = testScheduler.now()),
      });
    }, Math.max(0, at - testScheduler.now())); // `at` is absolute virtual time
    return result;
  }


  function watched(config: Partial<TokenSessionConfig> & Pick<TokenSessionConfig, 'refresh'>): { session: TokenSession; events: SessionEvent[] } {
    const session = createTokenSession({ tokens: userTokens('alice'), scheduler: testScheduler, ...config });
    const events: SessionEvent[] = [];
    session.events$.subscribe((event) => events.push(event));
    return { session, events };
  }

  const fresh = (n: number): Observable<TokenSet> => timer(10, testScheduler).pipe(map(() => userTokens('alice', n)));

  describe('a token endpoint that never answers', () => {
    it('fails every waiter with TokenRefreshError (reason timeout) at the default refreshDeadline of 20 s', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const endpoint = cold<TokenSet>('-');
        const { session: s, events } = watched({ refresh: () => endpoint });
        const waiters = [0, 5_000, 19_999].map((at) => record(() => s.tokenAfterRejection(0), at));
        testScheduler.flush();
        for (const waiter of waiters) {
          expect(waiter.at).toBe(20_000);
          expect(waiter.error).toBeInstanceOf(TokenRefreshError);
          expect(reasonOf(waiter.error)).toBe('timeout');
          expect((waiter.error as TokenRefreshError).transient).toBe(true);
        }
        // The first 10 s attempt timed out. The retry was at the server when the deadline ran out
        // (it may have spent the refresh token), so it runs on to its own 10 s limit, unheard, and
        // is not retried: nothing runs longer than one attempt's limit.
        expect(endpoint.subscriptions).toHaveLength(2);
        expect(endpoint.subscriptions.every((sub) => sub.unsubscribedFrame - sub.subscribedFrame === 10_000)).toBe(true);
        expectSubscriptions(endpoint.subscriptions[0] ? [endpoint.subscriptions[0]] : []).toBe('^ 9999ms !');
        expect(events.filter((e) => e.type === 'refresh-failed')).toHaveLength(1);
        expect(s.state.tokens).toEqual(userTokens('alice'));
      });
    });

    it('honours a shorter refreshDeadline, and the next 401 may refresh again once the call still out has ended', () => {
      testScheduler.run(({ cold }) => {
        let calls = 0;
        const { session: s } = watched({ refreshDeadline: 3_000, refresh: () => (calls++, calls === 1 ? cold<TokenSet>('-') : fresh(calls)) });
        const first = record(() => s.tokenAfterRejection(0));
        // The first call is still at the server (until its 10 s attempt limit): a 401 meanwhile
        // waits for it rather than sending the refresh token it may have spent, within its own deadline.
        const meanwhile = record(() => s.tokenAfterRejection(0), 5_000);
        const second = record(() => s.tokenAfterRejection(0), 11_000);
        testScheduler.flush();
        expect(first.at).toBe(3_000);
        expect(reasonOf(first.error)).toBe('timeout');
        expect(meanwhile.at).toBe(8_000);
        expect(reasonOf(meanwhile.error)).toBe('timeout');
        expect(second.value).toEqual({ accessToken: 'alice-a2', generation: 1, signIn: s.state.signIn });
        expect(calls).toBe(2);
      });
    });

    it('bounds a request waiting to refresh an expired token first', () => {
      testScheduler.run(({ cold }) => {
        const { session: s } = watched({ tokens: { ...userTokens('alice'), expiresAt: 0 }, refreshDeadline: 4_000, refresh: () => cold<TokenSet>('-') });
        const request = record(() => s.currentToken(), 1_000);
        testScheduler.flush();
        expect(request.at).toBe(5_000);
        expect(reasonOf(request.error)).toBe('timeout');
      });
    });

    it('lets a request that must refresh first but still holds a live token go on with it at the deadline', () => {
      testScheduler.run(({ cold }) => {
        const { session: s } = watched({ tokens: { ...userTokens('alice'), expiresAt: 60_000 }, refreshDeadline: 4_000, refresh: () => cold<TokenSet>('-') });
        const request = record(() => s.currentToken(), 50_000);
        testScheduler.flush();
        expect(request.at).toBe(54_000);
        expect(request.value).toEqual({ accessToken: 'alice-a0', generation: 0, signIn: s.state.signIn });
      });
    });
  });

  describe('a shared store or lock that never answers', () => {
    function shared(store: VirtualStore, lock = virtualLock()) {
      const result = watched({ refresh: fresh.bind(null, 1), share: shareStore(store, lock), refreshDeadline: 5_000 });
      testScheduler.flush(); // the session's start: first read, initial write
      return result;
    }

    it('a read that never settles during a refresh: TokenRefreshError reason shared-state at refreshDeadline', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler);
        const { session: s } = shared(store);
        store.knobs.readDelay = 'never';
        const start = testScheduler.now();
        const waiter = record(() => s.tokenAfterRejection(s.state.generation), start);
        testScheduler.flush();
        expect(waiter.at).toBe(start + 5_000);
        expect(reasonOf(waiter.error)).toBe('shared-state');
      });
    });

    it('a write that never settles after the token endpoint answered: the waiters get the new tokens by the deadline, not an error', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler);
        const { session: s } = shared(store);
        store.knobs.applyDelay = 'never';
        const start = testScheduler.now();
        const before = s.state.tokens?.refreshToken;
        const waiter = record(() => s.tokenAfterRejection(s.state.generation), start);
        testScheduler.flush();
        // The old refresh token is spent once the endpoint answered: dropping the answer would lose the session.
        expect(waiter.error).toBeUndefined();
        expect(waiter.at).toBeLessThanOrEqual(start + 5_000);
        expect(s.state.tokens?.refreshToken).not.toBe(before);
      });
    });

    it('a lock never granted: reason shared-state at refreshDeadline, and the token endpoint is never called', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler);
        let calls = 0;
        const { session: s } = watched({ refresh: () => (calls++, fresh(1)), share: shareStore(store, virtualLock({ grant: false })), refreshDeadline: 5_000 });
        testScheduler.flush();
        const start = testScheduler.now();
        const waiters = [record(() => s.tokenAfterRejection(s.state.generation), start), record(() => s.refresh$, start + 100)];
        testScheduler.flush();
        for (const waiter of waiters) {
          expect(waiter.at).toBe(start + 5_000);
          expect(reasonOf(waiter.error)).toBe('shared-state');
        }
        expect(calls).toBe(0);
      });
    });

    it('a first read that never settles holds requests for storeTimeout (default 1 s), then they go on', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler, { readDelay: 'never' });
        const { session: s } = watched({ refresh: () => fresh(1), share: shareStore(store, virtualLock()) });
        const requests = [0, 300, 999].map((at) => record(() => s.currentToken(), at));
        const later = record(() => s.currentToken(), 2_000);
        testScheduler.flush();
        for (const request of requests) {
          expect(request.at).toBe(1_000);
          expect(request.value).toEqual({ accessToken: 'alice-a0', generation: 0, signIn: s.state.signIn });
        }
        expect(later.at).toBe(2_000);
      });
    });

    // Found by shared-state.property: a session (a reopened tab) whose first read was lost
    // started without the tokens the store held, and stayed apart from the store for good.
    it('a first read that never settles is asked again after storeTimeout, and the session starts from the store', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler, { readDelay: 'never' });
        store.writeAsOther({ tokens: userTokens('bob'), revoked: false, receivedAt: 0, change: 'sign-in' });
        const { session: s } = watched({ refresh: () => fresh(1), share: shareStore(store, virtualLock()) });
        store.knobs.readDelay = 0;
        const request = record(() => s.currentToken());
        testScheduler.flush();
        expect(request.at).toBe(1_000);
        expect(request.value).toEqual({ accessToken: 'bob-a0', generation: 1 });
        expect(s.state.tokens).toEqual(userTokens('bob'));
        expect(store.reads).toBe(2);
        expect(store.writes).toEqual([]); // the session wrote nothing over bob
      });
    });

    it('a first read that never settles holds requests for a configured storeTimeout', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler, { readDelay: 'never' });
        const { session: s } = watched({ refresh: () => fresh(1), share: shareStore(store, virtualLock()), storeTimeout: 250 });
        const request = record(() => s.currentToken());
        testScheduler.flush();
        expect(request.at).toBe(250);
      });
    });

    it('in steady state a request makes no store or lock call', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler);
        const lock = virtualLock();
        const { session: s } = watched({ tokens: { ...userTokens('alice'), expiresAt: 3_600_000 }, refresh: () => fresh(1), share: shareStore(store, lock) });
        testScheduler.flush();
        const before = { reads: store.reads, writes: store.writes.length, runs: lock.runs };
        for (let i = 0; i < 100; i++) s.currentToken().subscribe();
        testScheduler.flush();
        expect({ reads: store.reads, writes: store.writes.length, runs: lock.runs }).toEqual(before);
      });
    });

    it('dispose() releases the store and the lock', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler);
        const lock = virtualLock();
        const released: string[] = [];
        Object.assign(store, { dispose: () => released.push('store') });
        Object.assign(lock, { dispose: () => released.push('lock') });
        const { session: s } = watched({ refresh: () => fresh(1), share: shareStore(store, lock) });
        s.dispose();
        expect(released.sort()).toEqual(['lock', 'store']);
      });
    });
  });

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
        const first = record(() => s.tokenAfterRejection(s.state.generation), start);
        testScheduler.flush();
        expect(first.error).toBeUndefined();
        // The next 401: the session must not send the refresh token the server already rotated away.
        const second = record(() => s.tokenAfterRejection(s.state.generation), start + 10_000);
        testScheduler.flush();
        expect(events.filter((e) => e.type === 'session-revoked')).toEqual([]);
        expect(sent.filter((token) => token === 'alice-r0')).toHaveLength(1);
        expect(second.error).toBeUndefined();
      });
    });
  });

  describe('dispose while requests wait for the first read of the store', () => {
    it('fails them with TokenRefreshError reason disposed, not a silent completion', () => {
      testScheduler.run(() => {
        const store = virtualStore(testScheduler, { readDelay: 'never' });
        const { session: s } = watched({ refresh: () => fresh(1), share: shareStore(store, virtualLock()) });
        const request = record(() => s.currentToken());
        testScheduler.schedule(() => s.dispose(), 100);
        testScheduler.flush();
        expect(request.at).toBe(100);
        expect(reasonOf(request.error)).toBe('disposed');
      });
    });
  });

  describe('a waiter that leaves (rule 3)', () => {
    it('does not cancel the refresh: the store gets the rotated tokens', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const store = virtualStore(testScheduler);
        const endpoint = cold('10ms (t|)', { t: userTokens('alice', 1) });
        const { session: s } = watched({ refresh: () => endpoint, share: shareStore(store, virtualLock()) });
        const leave = hot('---x');
        expectObservable(s.tokenAfterRejection(1).pipe(takeUntil(leave))).toBe('---|');
        expectSubscriptions(endpoint.subscriptions).toBe('^ 9ms !');
        testScheduler.flush();
        expect(store.current?.tokens).toEqual(userTokens('alice', 1));
        expect(s.state.tokens).toEqual(userTokens('alice', 1));
      });
    });

    it('does not cancel the refresh when every waiter gives up by its own timeout', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const endpoint = cold('5s (t|)', { t: userTokens('alice', 1) });
        const { session: s } = watched({ refresh: () => endpoint });
        const waiters = [0, 100, 200].map((at) => record(() => s.tokenAfterRejection(0).pipe(takeUntil(timer(1_000, testScheduler))), at));
        testScheduler.flush();
        expect(waiters.map((w) => w.at)).toEqual([1_000, 1_100, 1_200]);
        expectSubscriptions(endpoint.subscriptions).toBe('^ 4999ms !');
        expect(s.state.tokens).toEqual(userTokens('alice', 1));
      });
    });
  });
});

describe('hardening: signOut({ revoke: true })', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  function watched(config: Partial<TokenSessionConfig>) {
    const session = createTokenSession({ tokens: userTokens('alice'), refresh: () => NEVER, scheduler: testScheduler, ...config });
    const events: SessionEvent[] = [];
    session.events$.subscribe((event) => events.push(event));
    return { session, events };
  }

  it('calls revoke with the refresh token and signs out at once, without waiting for it', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const revocation = cold('500ms (x|)', { x: 'ok' });
      const revoked: string[] = [];
      const { session: s, events } = watched({ revoke: (token) => (revoked.push(token), revocation) });
      s.signOut({ revoke: true });
      expect(s.state.tokens).toBeNull();
      expect(events).toEqual([{ type: 'tokens-changed', generation: 1, change: 'sign-out', origin: 'local' }]);
      expect(revoked).toEqual(['alice-r0']);
      expectSubscriptions(revocation.subscriptions).toBe('^ 499ms !');
    });
  });

  it('changes nothing when revoke fails, throws, or rejects', async () => {
    for (const revoke of [
      () => throwError(() => new Error('revocation endpoint down')),
      () => {
        throw new Error('bad revoke function');
      },
    ]) {
      testScheduler.run(() => {
        const { session: s, events } = watched({ revoke });
        expect(() => s.signOut({ revoke: true })).not.toThrow();
        testScheduler.flush();
        expect(s.state.tokens).toBeNull();
        expect(events.map((e) => e.type)).toEqual(['tokens-changed']);
      });
    }
    // A rejected promise (real async): no unhandled rejection, no change.
    const s = createTokenSession({ tokens: userTokens('alice'), refresh: () => NEVER, revoke: () => Promise.reject(new Error('nope')) });
    s.signOut({ revoke: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(s.state.tokens).toBeNull();
    s.dispose();
  });

  it('changes nothing when revoke hangs, and stops waiting for it after refreshTimeout', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const revocation = cold('-');
      const { session: s, events } = watched({ revoke: () => revocation, refreshTimeout: 2_000 });
      s.signOut({ revoke: true });
      s.setTokens(userTokens('bob'));
      testScheduler.flush();
      expect(s.state.tokens).toEqual(userTokens('bob'));
      expect(events.map((e) => e.type === 'tokens-changed' && e.change)).toEqual(['sign-out', 'sign-in']);
      expectSubscriptions(revocation.subscriptions).toBe('^ 1999ms !');
    });
  });

  it('does not call revoke on a plain signOut()', () => {
    testScheduler.run(() => {
      let calls = 0;
      const { session: s } = watched({ revoke: () => (calls++, NEVER) });
      s.signOut();
      expect(calls).toBe(0);
      expect(s.state.tokens).toBeNull();
    });
  });

  // Issue 21 item 7: a TypeError before signing out left the user signed in. The sign-out
  // always happens; the mistake is still a TypeError, thrown after it.
  it('without `revoke` configured: signs out, then throws a TypeError', () => {
    testScheduler.run(() => {
      const { session: s, events } = watched({});
      expect(() => s.signOut({ revoke: true })).toThrow(TypeError);
      expect(s.state.tokens).toBeNull();
      expect(events).toEqual([{ type: 'tokens-changed', generation: 1, change: 'sign-out', origin: 'local' }]);
      expect(() => s.signOut({ revoke: true })).toThrow(/revoke/);
      expect(s.state.tokens).toBeNull();
    });
  });

  it('stops a refresh in flight: its waiters fail with reason signed-out, and revoke gets the refresh token', async () => {
    const revoked: string[] = [];
    const s = createTokenSession({ tokens: userTokens('alice'), refresh: () => NEVER, revoke: (token) => (revoked.push(token), Promise.resolve()) });
    const waiting = outcome(s.tokenAfterRejection(0));
    s.signOut({ revoke: true });
    const result = await waiting;
    expect(result.ok).toBe(false);
    expect(reasonOf(result.ok ? undefined : result.error)).toBe('signed-out');
    expect(revoked).toEqual(['alice-r0']);
    expect(userOf(s.state.tokens)).toBeNull();
    s.dispose();
  });
  it('revokes the rotated refresh token of a refresh cut short, which the old one no longer reaches', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const endpoint = cold('----(t|)', { t: userTokens('alice', 1) });
      const revoked: { token: string; at: number }[] = [];
      const revoke = (token: string) => (revoked.push({ token, at: testScheduler.now() }), cold('(x|)', { x: 'ok' }));
      const { session: s, events } = watched({ refresh: () => endpoint, revoke });
      const waiter: unknown[] = [];
      s.tokenAfterRejection(0).subscribe({ next: (v) => waiter.push(v), error: (e: unknown) => waiter.push(reasonOf(e)) });
      testScheduler.schedule(() => s.signOut({ revoke: true }), 2);
      testScheduler.flush();
      // The call ran to its end instead of being aborted at the sign-out...
      expectSubscriptions(endpoint.subscriptions).toBe('^---!');
      // ...both refresh tokens are revoked, the old at once and the rotated one when it landed...
      expect(revoked).toEqual([
        { token: 'alice-r0', at: 2 },
        { token: 'alice-r1', at: 4 },
      ]);
      // ...and nobody got its tokens: the waiter failed as signed out, the session stays signed out.
      expect(waiter).toEqual(['signed-out']);
      expect(s.state.tokens).toBeNull();
      expect(events.map((e) => e.type)).toEqual(['refresh-started', 'refresh-failed', 'tokens-changed']);
    });
  });

  // With a store, a refresh whose call has answered writes its result before the lock goes
  // (spent-refresh-token.spec.ts). A sign-out then found the call ended and revoked only the old
  // refresh token: the rotated one, live at the server, reached the store and was never revoked.
  it('revokes the rotated refresh token of a refresh whose call answered but whose store write is still out', () => {
    testScheduler.run(({ cold }) => {
      const store = virtualStore(testScheduler);
      const endpoint = cold('----(t|)', { t: userTokens('alice', 1) });
      const revoked: { token: string; at: number }[] = [];
      const revoke = (token: string) => (revoked.push({ token, at: testScheduler.now() }), cold('(x|)', { x: 'ok' }));
      const { session: s } = watched({ refresh: () => endpoint, revoke, share: shareStore(store, virtualLock()) });
      testScheduler.schedule(() => {
        store.knobs.applyDelay = 10; // the refresh's write, sent at 5, lands at 15
        s.tokenAfterRejection(s.state.generation).subscribe({ error: () => undefined });
      }, 1);
      testScheduler.schedule(() => s.signOut({ revoke: true }), 8);
      testScheduler.flush();
      expect(revoked.map((r) => r.token).sort()).toEqual(['alice-r0', 'alice-r1']);
      expect(store.current?.tokens ?? null).toBeNull();
      expect(s.state.tokens).toBeNull();
    });
  });

  it('still aborts the call of a refresh cut short by a plain signOut()', () => {
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const endpoint = cold('----(t|)', { t: userTokens('alice', 1) });
      const { session: s } = watched({ refresh: () => endpoint, revoke: () => cold('(x|)', { x: 'ok' }) });
      s.tokenAfterRejection(0).subscribe({ error: () => undefined });
      testScheduler.schedule(() => s.signOut(), 2);
      testScheduler.flush();
      expectSubscriptions(endpoint.subscriptions).toBe('^-!');
    });
  });
});

function reasonOf(error: unknown) {
  return error instanceof TokenRefreshError ? error.reason : String(error);
}
