// lib/session/refresh-ahead.ts: the optional timer of rule 5 (`refreshAhead`), and what wakes it
// (issue 26): a timer that fires far later than armed because the machine slept, a refresh-ahead
// attempt that failed, a session that ended. A page that comes back: page-wakes.spec.ts.
import type { SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../lib/errors/request-error.js';
import { TokenRevokedError } from '../../lib/errors/token-revoked-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { endpoint, session, sleepyClock, t0, t1, testScheduler, useTestScheduler } from './session-fixtures.js';

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

describe('refreshAhead after the machine slept (issue 26)', () => {
  useTestScheduler();

  it('re-checks the clock within CLOCK_CHECK_INTERVAL of a wake and refreshes at once when the token is due', () => {
    testScheduler.run(() => {
      const { clock, sleepAt } = sleepyClock(testScheduler);
      const token = endpoint(clock, 120_000);
      // Due at 90 s (margin min(30 s, 120 s / 4)); the machine sleeps 200 s at 10 s.
      const { session: s } = session({ tokens: { ...t0, expiresAt: 120_000 }, refreshAhead: true, refresh: token.refresh, scheduler: clock });
      sleepAt(10_000, 200_000);
      testScheduler.schedule(() => s.dispose(), 100_000);
      testScheduler.flush();
      // Before issue 26: one call at 90 000 (the timer armed before the sleep), 200 s past expiry by the clock.
      expect(token.calls).toEqual([30_000]);
    });
  });

  it('arms refresh-ahead again from the clock after the wake, not from a timer that slept', () => {
    testScheduler.run(() => {
      const { clock, sleepAt } = sleepyClock(testScheduler);
      const token = endpoint(clock, 120_000);
      const { session: s, events } = session({ tokens: { ...t0, expiresAt: 120_000 }, refreshAhead: true, refresh: token.refresh, scheduler: clock });
      sleepAt(10_000, 200_000);
      testScheduler.schedule(() => s.dispose(), 130_000);
      testScheduler.flush();
      // The new token lives 120 s from 30 001 (virtual): due 90 s later, once per generation.
      expect(token.calls).toEqual([30_000, 120_001]);
      expect(events.filter((e) => e.type === 'refresh-started').map((e) => e.generation)).toEqual([0, 1]);
    });
  });

  it('does not refresh early after a short sleep that ends before the token is due', () => {
    testScheduler.run(() => {
      const { clock, sleepAt } = sleepyClock(testScheduler);
      const token = endpoint(clock, 120_000);
      const { session: s } = session({ tokens: { ...t0, expiresAt: 120_000 }, refreshAhead: true, refresh: token.refresh, scheduler: clock });
      sleepAt(10_000, 20_000);
      testScheduler.schedule(() => s.dispose(), 80_000);
      testScheduler.flush();
      // Due at 90 s by the clock: 70 s virtual.
      expect(token.calls).toEqual([70_000]);
    });
  });
});

describe('refreshAhead after a failed attempt (issue 26)', () => {
  useTestScheduler();
  const retry = { maxRetries: 0, baseDelay: 1_000, maxDelay: 4_000 };

  it('arms the attempt again with backoff while the token lives', () => {
    testScheduler.run(() => {
      const token = endpoint(testScheduler, 100_000, (n) => (n <= 2 ? new NetworkError('POST', 'https://auth.example/token', { cause: new Error('down') }) : undefined));
      // Due at 75 s (margin min(30 s, 100 s / 4)).
      const { session: s } = session({ tokens: { ...t0, expiresAt: 100_000 }, refreshAhead: true, refreshRetry: retry, refresh: token.refresh });
      testScheduler.schedule(() => s.dispose(), 99_000);
      testScheduler.flush();
      // Before issue 26: [75 000] alone, and the token expired. Waits 1 s, then 2 s; the third succeeds.
      expect(token.calls).toEqual([75_000, 76_001, 78_002]);
      expect(s.state.generation).toBe(1);
    });
  });

  it('gives up once the next attempt would come after expiry: from then on a request refreshes first', () => {
    testScheduler.run(() => {
      const token = endpoint(testScheduler, 100_000, () => new NetworkError('POST', 'https://auth.example/token', { cause: new Error('down') }));
      const { session: s } = session({ tokens: { ...t0, expiresAt: 100_000 }, refreshAhead: true, refreshRetry: { ...retry, maxDelay: 10_000 }, refresh: token.refresh });
      testScheduler.schedule(() => s.dispose(), 600_000);
      testScheduler.flush();
      // 1, 2, 4, 8 s after each failure; the next (10 s, the cap, after 90 005) would come after expiry.
      expect(token.calls).toEqual([75_000, 76_001, 78_002, 82_003, 90_004]);
      expect(s.state.tokens).not.toBeNull();
    });
  });

  it('arms nothing once the session was disposed during the backoff', () => {
    testScheduler.run(() => {
      const token = endpoint(testScheduler, 100_000, () => new NetworkError('POST', 'https://auth.example/token', { cause: new Error('down') }));
      const { session: s } = session({ tokens: { ...t0, expiresAt: 100_000 }, refreshAhead: true, refreshRetry: retry, refresh: token.refresh });
      testScheduler.schedule(() => s.dispose(), 76_500);
      testScheduler.flush();
      expect(token.calls).toEqual([75_000, 76_001]);
    });
  });

  it('arms nothing once the session was revoked or signed out', () => {
    testScheduler.run(() => {
      const token = endpoint(testScheduler, 100_000, () => new TokenRevokedError('The refresh token was rejected'));
      const { session: s } = session({ tokens: { ...t0, expiresAt: 100_000 }, refreshAhead: true, refreshRetry: retry, refresh: token.refresh });
      const other = endpoint(testScheduler, 100_000, () => new NetworkError('POST', 'https://auth.example/token', { cause: new Error('down') }));
      const { session: signedOut } = session({ tokens: { ...t1, expiresAt: 100_000 }, refreshAhead: true, refreshRetry: retry, refresh: other.refresh });
      testScheduler.schedule(() => signedOut.signOut(), 75_500);
      testScheduler.schedule(() => (s.dispose(), signedOut.dispose()), 600_000);
      testScheduler.flush();
      expect(token.calls).toEqual([75_000]);
      expect(s.state.revoked).toBe(true);
      expect(other.calls).toEqual([75_000]);
    });
  });
});
