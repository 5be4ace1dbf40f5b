// lib/session/session-context.ts: how an outcome is applied and said on events$.
import { mergeMap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { session, t0, t1, t2, testScheduler, token, useTestScheduler } from './session-fixtures.js';

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when the refresh token is revoked', () => {
    it('fails every waiter with TokenRevokedError in the same frame and says so once', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const revoked = new TokenRevokedError();
        const endpoint = cold<TokenSet>('---#', undefined, revoked);
        const { session: s, events } = session({ refresh: () => endpoint });
        const callers = hot('ab-c', { a: 0, b: 0, c: 0 });
        expectObservable(callers.pipe(mergeMap((g) => s.token(g)))).toBe('---#', undefined, revoked);
        expectObservable(s.tokens$).toBe('a--b', { a: t0, b: null });
        expectSubscriptions(endpoint.subscriptions).toBe('^--!');
        testScheduler.flush();
        expect(events.filter((e) => e.type === 'session-revoked')).toHaveLength(1);
        expect(s.state.revoked).toBe(true);
      });
    });

    it('fails later requests at once without calling the refresh function', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold<TokenSet>('-#', undefined, new TokenRevokedError());
        const { session: s, events } = session({ refresh: () => endpoint });
        s.token(0).subscribe({ error: () => undefined });
        const later = testScheduler.createColdObservable('5ms x');
        expectObservable(later.pipe(mergeMap(() => s.token()))).toBe('5ms #', undefined, new TokenRevokedError());
        expectObservable(later.pipe(mergeMap(() => s.token(s.state.generation)))).toBe('5ms #', undefined, new TokenRevokedError());
        expectSubscriptions(endpoint.subscriptions).toBe('^!');
        testScheduler.flush();
        expect(events.filter((e) => e.type === 'session-revoked')).toHaveLength(1);
      });
    });

    it('comes back to life with setTokens', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session: s } = session({ refresh: () => cold('-#', undefined, new TokenRevokedError()) });
        s.token(0).subscribe({ error: () => undefined });
        testScheduler.schedule(() => s.setTokens(t2), 3);
        const later = testScheduler.createColdObservable('5ms x').pipe(mergeMap(() => token(s.token())));
        expectObservable(later).toBe('5ms a', { a: 'access-2' });
      });
    });
  });

  describe('events$', () => {
    it('reports a refresh from start to success without any token in it', () => {
      testScheduler.run(({ cold }) => {
        const { session: s, events } = session({ refresh: () => cold('-(t|)', { t: { ...t1, expiresAt: 5_000 } }) });
        s.token(0).subscribe();
        testScheduler.flush();
        expect(events).toEqual([
          { type: 'refresh-started', generation: 0 },
          { type: 'refresh-succeeded', generation: 1, expiresAt: 5_000 },
        ]);
        expect(JSON.stringify(events)).not.toMatch(/access-|refresh-[01]/);
      });
    });
  });
});
