// lib/session/refresh-steps.ts: how one refresh runs. Alone (refreshAlone), a token call at the
// server is never thrown away; the token call (tokenCall): one call of the refresh function, its
// per-attempt timeout and backoff, and the failure taxonomy (reason); outlive, which lets a sent
// call outlive whoever stopped listening.
import { Observable, Subject, mergeMap, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { HttpError, NetworkError, RequestTimeoutError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { createTokenSession, type TokenSession } from '../../lib/session/create-token-session.js';
import { outlive } from '../../lib/session/refresh-steps.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { offlineNetwork } from '../helpers/offline.js';
import { strictEndpoint, userTokens } from '../helpers/virtual-store.js';
import { refreshIn, session, t0, t1, testScheduler, token, useTestScheduler } from './session-fixtures.js';

// Issue 21 item 3: a refresh token is spent when the call reaches the server, not when the answer
// arrives. Once the token call is sent, dispose(), sign-out and the refresh deadline let its answer
// be stored under the lock for the other members (within refreshTimeout plus the store write's
// tries). On 2bb0687 these fail: the call was aborted and the lock let go at once; the server had
// rotated the refresh token already, the next member sent the spent one, and reuse detection
// revoked the whole family (TokenRevokedError everywhere).
describe('a token call at the server is never thrown away (issue 21 item 3)', () => {
  useTestScheduler();
  let endpoint: ReturnType<typeof strictEndpoint>;
  const at = (ms: number, work: () => void) => testScheduler.schedule(work, ms);

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

    // Found by spec/e2e/session-paths.property.spec.ts: a retry the deadline overtook was still sent (after its
    // backoff, or when the network came back) with nobody left to hear its answer; the server spent the refresh
    // token, the answer came after the outlive bound, and the session kept the spent token (lost at its next refresh).
    it('a retry the deadline overtook in its backoff is not sent: nobody would hear its answer', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const busy = new HttpError({ method: 'POST', url: 'x', status: 503, headers: new Headers({ 'retry-after': '1' }) });
        const endpoint = cold<TokenSet>('-#', undefined, busy);
        const s = createTokenSession({ refresh: () => endpoint, refreshDeadline: 50, refreshRetry: { maxRetries: 1 }, tokens: t0, scheduler: testScheduler });
        const got = refreshIn(s, 0);
        testScheduler.flush();
        expect(got).toEqual(['TokenRefreshError']);
        expectSubscriptions(endpoint.subscriptions).toBe(['^!']);
        expect(s.state.tokens).toEqual(t0);
      });
    });

    it('a call the deadline overtook while it waited offline is not sent when the network comes back', () => {
      const network = offlineNetwork();
      try {
        testScheduler.run(({ cold, expectSubscriptions }) => {
          network.goOffline();
          const endpoint = cold<TokenSet>('-#', undefined, new NetworkError('POST', 'x'));
          const s = createTokenSession({ refresh: () => endpoint, refreshDeadline: 50, tokens: t0, scheduler: testScheduler });
          const got = refreshIn(s, 0);
          at(100, () => network.goOnline());
          testScheduler.flush();
          expect(got).toEqual(['TokenRefreshError']);
          expectSubscriptions(endpoint.subscriptions).toBe(['^!']);
          expect(s.state.tokens).toEqual(t0);
        });
      } finally {
        network.restore();
      }
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

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when the refresh fails transiently', () => {
    it('retries with backoff and recovers', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const network = new NetworkError('POST', 'https://auth.test/token');
        let calls = 0;
        const { session: s } = session({
          refreshRetry: { baseDelay: 100, jitter: false },
          refresh: () => (++calls < 3 ? cold('-#', undefined, network) : cold('-(t|)', { t: t1 })),
        });
        // tries at 0, 101, 302
        expectObservable(token(s.token(0))).toBe('303ms (a|)', { a: 'access-1' });
      });
    });

    it('after the last try fails every waiter with a transient TokenRefreshError and keeps the tokens', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const network = new NetworkError('POST', 'https://auth.test/token');
        const endpoint = cold<TokenSet>('-#', undefined, network);
        const { session: s, events } = session({ refreshRetry: { maxRetries: 2, baseDelay: 10, jitter: false }, refresh: () => endpoint });
        const callers = hot('ab', { a: 0, b: 0 });
        const error = new TokenRefreshError('Token refresh failed after retries: POST https://auth.test/token failed: network error', {
          reason: 'network',
          transient: true,
          cause: network,
        });
        expectObservable(callers.pipe(mergeMap((g) => s.token(g)))).toBe('33ms #', undefined, error);
        expectSubscriptions(endpoint.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!']);
        testScheduler.flush();
        expect(s.state.tokens).toEqual(t0);
        const failed = events.find((e) => e.type === 'refresh-failed');
        expect(failed?.type === 'refresh-failed' && failed.error).toMatchObject({ reason: 'network', transient: true, cause: network });
      });
    });

    it('lets the next request start a new refresh', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        let calls = 0;
        const { session: s } = session({
          refreshRetry: { maxRetries: 0 },
          refresh: () => (++calls === 1 ? cold('-#', undefined, new NetworkError('POST', 'x')) : cold('-(t|)', { t: t1 })),
        });
        s.token(0).subscribe({ error: () => undefined });
        const later = testScheduler.createColdObservable('5ms x').pipe(mergeMap(() => token(s.token(0))));
        expectObservable(later).toBe('6ms a', { a: 'access-1' });
      });
    });

    it('honours Retry-After from the token endpoint', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const busy = new HttpError({ method: 'POST', url: 'x', status: 503, headers: new Headers({ 'retry-after': '3' }) });
        const endpoint = cold<TokenSet>('-#', undefined, busy);
        const { session: s } = session({ refreshRetry: { maxRetries: 1 }, refresh: () => endpoint });
        s.token(0).subscribe({ error: () => undefined });
        expectSubscriptions(endpoint.subscriptions).toBe(['^!', '3001ms ^!']);
      });
    });
  });

  describe('when the refresh hangs', () => {
    it('times each attempt out and fails the waiters: nothing hangs', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold<TokenSet>('-');
        const { session: s } = session({ refreshTimeout: 1_000, refreshRetry: { maxRetries: 1, baseDelay: 100, jitter: false }, refresh: () => endpoint });
        const timedOut = new TokenRefreshError('Token refresh failed after retries: POST the refresh function timed out after 1000 ms', {
          reason: 'timeout',
          transient: true,
          cause: new RequestTimeoutError('POST', 'the refresh function', 1_000),
        });
        expectObservable(s.token(0)).toBe('2100ms #', undefined, timedOut);
        expectSubscriptions(endpoint.subscriptions).toBe(['^ 999ms !', '1100ms ^ 999ms !']);
      });
    });
  });

  describe('when the refresh function misbehaves', () => {
    const cases: [string, () => Observable<unknown>, RegExp][] = [
      ['emits a malformed token set', () => of({ accessToken: 42 }), /accessToken must be a non-empty string when present, got number/],
      ['emits a non-object', () => of('access-9'), /must be an object, got a string/],
      ['emits an empty refresh token', () => of({ accessToken: 'a', refreshToken: '' }), /refreshToken/],
      ['completes without a value', () => of(), /completed without a token set/],
      ['throws', () => throwError(() => new TypeError('boom')), /boom/],
    ];
    for (const [what, refresh, message] of cases) {
      it(`fails with a non-transient TokenRefreshError when it ${what}, without retrying`, () => {
        let calls = 0;
        const { session: s } = session({
          refresh: () => {
            calls++;
            return refresh() as Observable<TokenSet>;
          },
        });
        let error: unknown;
        s.token(0).subscribe({ error: (e: unknown) => (error = e) });
        testScheduler.flush();
        expect(error).toBeInstanceOf(TokenRefreshError);
        expect((error as TokenRefreshError).transient).toBe(false);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).not.toContain('access-9');
        expect(calls).toBe(1);
        expect(s.state.tokens).toEqual(t0);
      });
    }

    it('fails when it throws synchronously', () => {
      const { session: s } = session({
        refresh: () => {
          throw new Error('sync');
        },
      });
      let error: unknown;
      s.token(0).subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toBeInstanceOf(TokenRefreshError);
      expect((error as TokenRefreshError).cause).toEqual(new Error('sync'));
    });
  });
});

describe('outlive', () => {
  useTestScheduler();

  it('passes values, the error and the end through while the subscriber listens', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      let asked = 0;
      expectObservable(cold('a-b-#').pipe(outlive(() => (asked++, 10), testScheduler))).toBe('a-b-#');
      expectObservable(cold('a-|').pipe(outlive(() => (asked++, 10), testScheduler))).toBe('a-|');
      testScheduler.flush();
      expect(asked).toBe(0);
    });
  });

  it('cuts the source at once when detach() says undefined', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 5ms b 5ms c|');
      expectObservable(source.pipe(outlive(() => undefined, testScheduler)), '^ 3ms !').toBe('a');
      expectSubscriptions(source.subscriptions).toBe('^ 3ms !');
    });
  });

  it('lets the source run on, unheard, for the ms detach() gives, then cuts it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 5ms b 5ms c 5ms d|');
      let asked = 0;
      // Unsubscribed at 4 ms; the source runs on to 14 ms: b and c are emitted, nobody hears them.
      expectObservable(source.pipe(outlive(() => (asked++, 10), testScheduler)), '^ 3ms !').toBe('a');
      expectSubscriptions(source.subscriptions).toBe('^ 13ms !');
      testScheduler.flush();
      expect(asked).toBe(1);
    });
  });

  it('a source that ends within the bound is not cut: its side effects run to the end', () => {
    const source = new Subject<string>();
    const seen: string[] = [];
    let teardowns = 0;
    const watched = new Observable<string>((subscriber) => {
      const inner = source.subscribe({ next: (v) => (seen.push(v), subscriber.next(v)), complete: () => subscriber.complete() });
      return () => (teardowns++, inner.unsubscribe());
    });
    testScheduler.run(() => {
      const heard: string[] = [];
      const subscription = watched.pipe(outlive(() => 100, testScheduler)).subscribe((v) => heard.push(v));
      source.next('sent');
      subscription.unsubscribe();
      source.next('answer');
      source.complete();
      expect(heard).toEqual(['sent']);
      expect(seen).toEqual(['sent', 'answer']);
      expect(teardowns).toBe(1);
    });
  });

  it('asks detach() nothing when the source had ended before the unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      let asked = 0;
      expectObservable(cold('a|').pipe(outlive(() => (asked++, 10), testScheduler)), '^ 5ms !').toBe('a|');
      testScheduler.flush();
      expect(asked).toBe(0);
    });
  });
});
