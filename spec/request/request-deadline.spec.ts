import { map, mergeMap, NEVER, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { RequestTimeoutError } from '../../lib/errors/request-error.js';
import { requestDeadline } from '../../lib/request/request-deadline.js';
import { createTokenSession } from '../../lib/session/create-token-session.js';
import { createTestTransport, type TestResponse } from '../../lib/testing/test-transport.js';
import { createTestScheduler } from '../helpers/marbles.js';

const BASE = 'https://api.test';
const unavailable: TestResponse = { status: 503 };
const unauthorized: TestResponse = { status: 401 };

/** The test scheduler, counting the timers scheduled on it. */
function counting(scheduler: TestScheduler): SchedulerLike & { readonly timers: number } {
  let timers = 0;
  return {
    now: () => scheduler.now(),
    schedule: ((work: never, delay?: number, state?: never) => (timers++, scheduler.schedule(work, delay, state))) as SchedulerLike['schedule'],
    get timers() {
      return timers;
    },
  };
}

describe('a request’s timeout bounds the whole request (DESIGN rule 13)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  it('covers the backoff waits: attempts of 600 ms and waits of 1 s end at the 2 s deadline', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const test = createTestTransport();
      const answer = cold('600ms (r|)', { r: unavailable });
      test.when(() => true, () => answer);
      const api = createHttpClient({ baseUrl: BASE, transport: test.transport, scheduler: testScheduler, timeout: 2_000, retry: { maxRetries: 10, baseDelay: 1_000, jitter: false } });

      // 503 at 600, wait 1000, second attempt at 1600 would answer at 2200: the deadline is first.
      expectObservable(api.get('/slow')).toBe('2000ms #', undefined, new RequestTimeoutError('GET', `${BASE}/slow`, 2_000));
      // The second attempt is cut off (its fetch aborted) at the deadline.
      expectSubscriptions(answer.subscriptions).toBe(['^ 599ms !', '1600ms ^ 399ms !']);
    });
  });

  it('covers the wait for a refresh, and leaves the refresh running for others (rule 3)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const endpoint = cold<never>('-');
      const session = createTokenSession({ tokens: { accessToken: 'a0', refreshToken: 'r0' }, refresh: () => endpoint, scheduler: testScheduler });
      const test = createTestTransport();
      test.when(() => true, () => cold('10ms (r|)', { r: unauthorized }));
      const api = createHttpClient({ baseUrl: BASE, transport: test.transport, session, scheduler: testScheduler, timeout: 1_000, retry: false });

      expectObservable(api.get('/me')).toBe('1000ms #', undefined, new RequestTimeoutError('GET', `${BASE}/me`, 1_000));
      testScheduler.flush();
      const [refresh] = endpoint.subscriptions;
      expect(refresh?.subscribedFrame).toBe(10);
      // Still subscribed after the request gave up: only the refresh's own deadline ends it.
      expect(refresh?.unsubscribedFrame).toBeGreaterThan(1_000);
      session.dispose();
    });
  });

  it('uses one timer per request for its deadline, not one per attempt', () => {
    testScheduler.run(({ cold }) => {
      const clock = counting(testScheduler);
      const test = createTestTransport();
      test.when(() => true, () => cold('5ms (r|)', { r: unavailable }));
      const api = createHttpClient({ baseUrl: BASE, transport: test.transport, scheduler: clock, retry: { maxRetries: 2, baseDelay: 10, jitter: false } });

      api.get('/x').subscribe({ error: () => undefined });
      testScheduler.flush();

      expect(test.requests).toHaveLength(3);
      expect(clock.timers).toBe(3); // the deadline and two backoff waits
    });
  });

  it('offers attemptTimeout for a limit per attempt: a hung attempt is retried within the deadline', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const test = createTestTransport();
      let calls = 0;
      test.when(() => true, () => (calls++ === 0 ? NEVER : cold('10ms (r|)', { r: { body: 'ok' } })));
      const api = createHttpClient({ baseUrl: BASE, transport: test.transport, scheduler: testScheduler, timeout: 1_000, attemptTimeout: 100, retry: { maxRetries: 2, baseDelay: 0 } });

      expectObservable(api.get('/x').pipe(map(String))).toBe('110ms (v|)', { v: 'ok' });
    });
  });
});

describe('requestDeadline, when requests overlap or run one at a time', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  describe('when requests with one limit overlap', () => {
    it('fails each at its own deadline, however the earlier ones ended', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const test = createTestTransport();
        test.when((r) => r.url.endsWith('/fast'), () => cold('50ms (r|)', { r: { body: 'ok' } }));
        test.when(() => true, () => NEVER);
        const api = createHttpClient({ baseUrl: BASE, transport: test.transport, scheduler: testScheduler, timeout: 1_000, retry: false });
        const timeout = (path: string) => new RequestTimeoutError('GET', `${BASE}${path}`, 1_000);

        // The first request ends early; the two hung ones, sent at 10 and 300 ms, time out 1 s later each.
        expectObservable(api.get('/fast')).toBe('50ms (v|)', { v: 'ok' });
        expectObservable(hot('10ms a').pipe(mergeMap(() => api.get('/a')))).toBe('1010ms #', undefined, timeout('/a'));
        const late = cold('300ms x');
        expectObservable(late.pipe(mergeMap(() => api.get('/b')))).toBe('1300ms #', undefined, timeout('/b'));
      });
    });
  });

  describe('when one request at a time runs', () => {
    it('arms one timer while any deadline is pending and none after the last one ended', () => {
      testScheduler.run(({ cold }) => {
        const clock = counting(testScheduler);
        const answer = cold('5ms (r|)', { r: 1 });
        answer.pipe(requestDeadline(1_000, 'GET', `${BASE}/x`, clock)).subscribe();
        testScheduler.flush();
        expect(clock.timers).toBe(1);
        // Nothing pending: the flush ran no timer at 1,000 ms, and a new request arms a new one.
        expect(testScheduler.now()).toBe(5);
        answer.pipe(requestDeadline(1_000, 'GET', `${BASE}/x`, clock)).subscribe();
        testScheduler.flush();
        expect(clock.timers).toBe(2);
      });
    });
  });
});
