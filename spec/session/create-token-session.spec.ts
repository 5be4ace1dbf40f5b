import { describe, it } from 'vitest';
import { session, stopped, t0, t1, testScheduler, useTestScheduler } from './session-fixtures.js';

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when disposed', () => {
    it('stops the refresh, completes the streams and refuses later use', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        testScheduler.schedule(() => s.dispose(), 2);
        expectObservable(s.token(0)).toBe('--#', undefined, stopped);
        expectObservable(s.tokens$).toBe('a-|', { a: t0 });
        expectSubscriptions(endpoint.subscriptions).toBe('^-!');
      });
    });
  });
});
