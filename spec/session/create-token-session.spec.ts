import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, it } from 'vitest';
import { createTokenSession, type TokenSessionConfig } from '../../lib/session/create-token-session.js';
import type { SessionEvent } from '../../lib/session/session-event.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { stopped, t0, t1 } from './session-fixtures.js';

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

  describe('when disposed', () => {
    it('stops the refresh, completes the streams and refuses later use', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-----(t|)', { t: t1 });
        const { session: s } = session({ refresh: () => endpoint });
        testScheduler.schedule(() => s.dispose(), 2);
        expectObservable(s.tokenAfterRejection(0)).toBe('--#', undefined, stopped);
        expectObservable(s.tokens$).toBe('a-|', { a: t0 });
        expectSubscriptions(endpoint.subscriptions).toBe('^-!');
      });
    });
  });
});
