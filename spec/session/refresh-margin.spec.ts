// lib/session/refresh-margin.ts: when a session refreshes (rule 5): when a token is due, and the
// optional timer that refreshes before expiry.
import { mergeMap, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../lib/errors/network-error.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import type { TokenSet } from '../../lib/session/token-set.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { session, t0, t1, testScheduler, token, useTestScheduler } from './session-fixtures.js';

describe('createTokenSession', () => {
  useTestScheduler();

  describe('when the access token expires within the skew', () => {
    it('refreshes before handing out the token (no 401 round trip)', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('--(t|)', { t: { ...t1, expiresAt: 100_000 } });
        const { session: s } = session({ tokens: { ...t0, expiresAt: 60_000 }, skew: 30_000, refresh: () => endpoint });
        // 60 s life: the margin is a quarter of it, 15 s, not the 30 s skew.
        const at = (ms: number) => testScheduler.createColdObservable(`${ms}ms x`).pipe(mergeMap(() => token(s.currentToken())));
        expectObservable(at(44_999)).toBe('44999ms a', { a: 'access-0' });
        expectObservable(at(45_000)).toBe('45002ms b', { b: 'access-1' });
        expectSubscriptions(endpoint.subscriptions).toBe('45000ms ^-!');
      });
    });

    it('uses the whole skew when it is a small share of a long life', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session: s } = session({ tokens: { ...t0, expiresAt: 3_600_000 }, skew: 30_000, refresh: () => cold('-(t|)', { t: t1 }) });
        const at = (ms: number) => testScheduler.createColdObservable(`${ms}ms x`).pipe(mergeMap(() => token(s.currentToken())));
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
        const at = testScheduler.createColdObservable('90000ms x').pipe(mergeMap(() => token(s.currentToken())));
        expectObservable(at).toBe('90001ms a', { a: 'access-0' });
      });
    });

    it('does not refresh a token that has no refresh token', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const endpoint = cold('-(t|)', { t: t1 });
        const { session: s } = session({ tokens: { accessToken: 'only', expiresAt: 10 }, refresh: () => endpoint });
        expectObservable(token(s.currentToken())).toBe('(a|)', { a: 'only' });
        expectSubscriptions(endpoint.subscriptions).toBe([]);
      });
    });
  });
});

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
