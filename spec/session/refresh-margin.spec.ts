// lib/session/refresh-margin.ts: when a token is due (rule 5).
import { mergeMap } from 'rxjs';
import { describe, it } from 'vitest';
import { NetworkError } from '../../lib/errors/network-error.js';
import { session, t0, t1, testScheduler, token, useTestScheduler } from './session-fixtures.js';

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when the access token expires within the skew', () => {
    it('refreshes before handing out the token (no 401 round trip)', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('--(t|)', { t: { ...t1, expiresAt: 100_000 } });
        const { session: s } = session({ tokens: { ...t0, expiresAt: 60_000 }, skew: 30_000, refresh: () => endpoint });
        // 60 s life: the margin is a quarter of it, 15 s, not the 30 s skew.
        const at = (ms: number) => testScheduler.createColdObservable(`${ms}ms x`).pipe(mergeMap(() => token(s.token())));
        expectObservable(at(44_999)).toBe('44999ms a', { a: 'access-0' });
        expectObservable(at(45_000)).toBe('45002ms b', { b: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('45000ms ^-!');
      });
    });

    it('uses the whole skew when it is a small share of a long life', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session: s } = session({ tokens: { ...t0, expiresAt: 3_600_000 }, skew: 30_000, refresh: () => cold('-(t|)', { t: t1 }) });
        const at = (ms: number) => testScheduler.createColdObservable(`${ms}ms x`).pipe(mergeMap(() => token(s.token())));
        expectObservable(at(3_569_999)).toBe('3569999ms a', { a: 'access-0' });
        expectObservable(at(3_570_000)).toBe('3570001ms b', { b: 'access-1' });
      });
    });

    it('still sends the unexpired token when the refresh fails transiently', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const network = new NetworkError('POST', 'https://auth.test/token');
        const { session: s } = session({
          tokens: { ...t0, expiresAt: 100_000 },
          refreshRetry: { maxRetries: 0 },
          refresh: () => cold('-#', undefined, network),
        });
        const at = testScheduler.createColdObservable('90000ms x').pipe(mergeMap(() => token(s.token())));
        expectObservable(at).toBe('90001ms a', { a: 'access-0' });
      });
    });

    it('does not refresh a token that has no refresh token', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-(t|)', { t: t1 });
        const { session: s } = session({ tokens: { accessToken: 'only', expiresAt: 10 }, refresh: () => endpoint });
        expectObservable(token(s.token())).toBe('(a|)', { a: 'only' });
        expectSubscriptions(endpoint.subscriptions).toBe([]);
      });
    });
  });
});
