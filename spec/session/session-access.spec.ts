// lib/session/session-access.ts: what a request asks of the session (currentToken, tokenAfterRejection).
import { map, mergeMap, type Observable, of } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { t0, t1 } from './session-fixtures.js';

describe('createTokenSession', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  function session(config: Partial<TokenSessionConfig> & Pick<TokenSessionConfig, 'refresh'>) {
    const created = createTokenSession({ tokens: t0, scheduler: testScheduler, ...config });
    const events: SessionEvent[] = [];
    created.events$.subscribe((event) => events.push(event));
    return { session: created, events };
  }
  const token = (grant$: Observable<{ accessToken: string | null }>) => grant$.pipe(map((grant) => grant.accessToken));

  describe('when a 401 arrives for a generation the session has left (late 401)', () => {
    it('emits the current token at once without a second refresh', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('---(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        const callers = hot('a 5ms b', { a: 0, b: 0 });
        expectObservable(callers.pipe(mergeMap((generation) => token(s.tokenAfterRejection(generation))))).toBe('---x 2ms x', { x: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
      });
    });
  });

  describe('when the session has no refresh token', () => {
    it('lets the 401 stand (a null grant) and fails refresh$, without starting a refresh', () => {
      const { session: s, events } = session({ tokens: { accessToken: 'only' }, refresh: () => of(t1) });
      let grant: unknown;
      s.tokenAfterRejection(0).subscribe((g) => (grant = g));
      expect(grant).toEqual({ accessToken: null, generation: 0 });
      let error: unknown;
      s.refresh$.subscribe({ error: (e: unknown) => (error = e) });
      expect(error).toMatchObject({ name: 'TokenRefreshError', transient: false, message: 'The session has no refresh token to refresh with' });
      expect(events).toEqual([]);
    });
  });
});
