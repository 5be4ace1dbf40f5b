// lib/session/run-refresh.ts: one call of the refresh function, its per-attempt timeout and
// backoff, and the failure taxonomy (reason).
import { mergeMap, type Observable, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/http-error.js';
import { NetworkError } from '../../lib/errors/network-error.js';
import { RequestTimeoutError } from '../../lib/errors/request-timeout-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { session, t0, t1, testScheduler, token, useTestScheduler } from './session-fixtures.js';

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
