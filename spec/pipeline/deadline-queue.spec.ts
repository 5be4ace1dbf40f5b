import { mergeMap, NEVER, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/client/create-http-client.js';
import { RequestTimeoutError } from '../../lib/errors/request-timeout-error.js';
import { requestDeadline } from '../../lib/pipeline/request-deadline.js';
import { createTestTransport } from '../../lib/testing/test-transport.js';
import { createTestScheduler } from '../helpers/marbles.js';

const BASE = 'https://api.test';

/** The test scheduler, counting the actions scheduled on it. */
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

describe('requestDeadline', () => {
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
