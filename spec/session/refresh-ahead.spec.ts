// lib/session/refresh-ahead.ts: the optional timer that refreshes before expiry.
import type { SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { session, t0, t1, testScheduler, useTestScheduler } from './session-fixtures.js';

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when refreshAhead is on', () => {
    it('refreshes on a timer before expiry, with no request', () => {
      testScheduler.run(({ cold, expectSubscriptions }) => {
        const endpoint = cold('-(t|)', { t: t1 });
        const { session: s } = session({ tokens: { ...t0, expiresAt: 1_000 }, skew: 100, refreshAhead: true, refresh: () => endpoint });
        // margin: min(100, 1000 / 4) = 100
        expectSubscriptions(endpoint.subscriptions).toBe('900ms ^!');
        testScheduler.schedule(() => s.dispose(), 2_000);
      });
    });
  });
});

describe('createTokenSession with refreshAhead and a token valid for months', () => {
  it('waits in timer-sized steps instead of overflowing setTimeout into an immediate refresh', () => {
    const testScheduler = createTestScheduler();
    const delays: number[] = [];
    // Records every delay asked of the scheduler: setTimeout fires at once past 2^31 - 1 ms.
    const recording = {
      now: () => testScheduler.now(),
      schedule: (...args: Parameters<TestScheduler['schedule']>) => {
        delays.push(args[1] ?? 0);
        return testScheduler.schedule(...args);
      },
    } as SchedulerLike;
    testScheduler.run(({ cold, expectSubscriptions }) => {
      const endpoint = cold<TokenSet>('-(t|)', { t: t1 });
      const ninetyDays = 90 * 24 * 3_600_000;
      const s = createTokenSession({ tokens: { ...t0, expiresAt: ninetyDays }, skew: 1_000, refreshAhead: true, refresh: () => endpoint, scheduler: recording });
      expectSubscriptions(endpoint.subscriptions).toBe(`${ninetyDays - 1_000}ms ^!`);
      testScheduler.schedule(() => s.dispose(), ninetyDays);
    });
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
  });
});
