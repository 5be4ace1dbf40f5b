// lib/session/session-access.ts: what a request asks of the session (token(), token(rejected)).
import { mergeMap, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { session, t1, testScheduler, token, useTestScheduler } from './session-fixtures.js';

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when a 401 arrives for a generation the session has left (late 401)', () => {
    it('emits the current token at once without a second refresh', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        const callers = hot('a 5ms b', { a: 0, b: 0 });
        expectObservable(callers.pipe(mergeMap((generation) => token(s.token(generation))))).toBe('---x 2ms x', { x: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
      });
    });
  });

  describe('when the session has no refresh token', () => {
    it('lets the 401 stand (a null grant) and fails refresh$, without starting a refresh', () => {
      const { session: s, events } = session({ tokens: { accessToken: 'only' }, refresh: () => of(t1) });
      let grant: unknown;
      s.token(0).subscribe((g) => (grant = g));
      expect(grant).toEqual({ accessToken: null, generation: 0 });
      let error: unknown;
      s.refresh$.subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toMatchObject({ name: 'TokenRefreshError', transient: false, message: 'The session has no refresh token to refresh with' });
      expect(events).toEqual([]);
    });
  });
});
