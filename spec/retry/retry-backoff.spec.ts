import { config as rxConfig, defer, of, throwError, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it, afterEach } from 'vitest';
import { HttpError, NetworkError } from '../../lib/errors/request-error.js';
import { retryBackoff, type RetryBackoffConfig, waitForNetwork, type NetworkWait } from '../../lib/retry/retry-backoff.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { offlineNetwork } from '../helpers/offline.js';

describe('retryBackoff', () => {
  let testScheduler: TestScheduler;
  const network = new NetworkError('GET', 'https://api.test/x');
  beforeEach(() => {
    testScheduler = createTestScheduler();
  });

  describe('when the source keeps failing transiently', () => {
    it('waits base·2^n between tries, capped, then rethrows the last error', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, network);
        const result = source.pipe(retryBackoff({ maxRetries: 3, baseDelay: 100, maxDelay: 250, jitter: false, scheduler: testScheduler }));
        // tries at 0, 101 (+100), 302 (+200), 553 (+250 capped)
        expectObservable(result).toBe('554ms #', undefined, network);
        // prettier-ignore
        expectSubscriptions(source.subscriptions).toBe([
          '^!',
          '101ms ^!',
          '302ms ^!',
          '553ms ^!',
        ]);
      });
    });
  });

  describe('when jitter is on with a seeded random source', () => {
    it('waits that fraction of each cap', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, network);
        const result = source.pipe(retryBackoff({ maxRetries: 2, baseDelay: 100, random: () => 0.5, scheduler: testScheduler }));
        expectObservable(result).toBe('153ms #', undefined, network);
        expectSubscriptions(source.subscriptions).toBe(['^!', '51ms ^!', '152ms ^!']);
      });
    });
  });

  describe('when the server sends Retry-After', () => {
    it('waits that long instead of the backoff, capped by maxDelay', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const busy = new HttpError({ method: 'GET', url: 'https://api.test/x', status: 429, headers: new Headers({ 'retry-after': '2' }) });
        let tries = 0;
        const source = defer(() => (++tries < 3 ? cold('-#', undefined, busy) : cold('-(v|)', { v: 'ok' })));
        const capped = cold('-#', undefined, busy);
        expectObservable(source.pipe(retryBackoff({ maxRetries: 3, baseDelay: 1, jitter: false, scheduler: testScheduler }))).toBe(
          '4003ms (v|)',
          { v: 'ok' },
        );
        expectObservable(capped.pipe(retryBackoff({ maxRetries: 1, maxDelay: 500, scheduler: testScheduler }))).toBe('502ms #', undefined, busy);
        expectSubscriptions(capped.subscriptions).toBe(['^!', '501ms ^!']);
      });
    });
  });

  describe('when the error is not transient', () => {
    it('rethrows without waiting', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const badRequest = new HttpError({ method: 'GET', url: 'https://api.test/x', status: 400 });
        const source = cold('--#', undefined, badRequest);
        expectObservable(source.pipe(retryBackoff({ scheduler: testScheduler }))).toBe('--#', undefined, badRequest);
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });
  });

  describe('when a custom predicate is given', () => {
    it('retries what it accepts and passes the attempt number', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const attempts: number[] = [];
        const source = cold('-#', undefined, new Error('custom'));
        const result = source.pipe(
          retryBackoff({
            maxRetries: 5,
            baseDelay: 10,
            jitter: false,
            scheduler: testScheduler,
            shouldRetry: (_error, attempt) => {
              attempts.push(attempt);
              return attempt < 3;
            },
          }),
        );
        expectObservable(result).toBe('33ms #', undefined, new Error('custom'));
        testScheduler.flush();
        expect(attempts).toEqual([1, 2, 3]);
      });
    });
  });

  describe('when the subscriber unsubscribes during a wait', () => {
    it('cancels the pending timer and never resubscribes', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-#', undefined, network);
        const result: Observable<unknown> = source.pipe(retryBackoff({ baseDelay: 100, jitter: false, scheduler: testScheduler }));
        expectObservable(result, '^ 50ms !').toBe('');
        expectSubscriptions(source.subscriptions).toBe('^!');
      });
    });
  });

  // Until issue 21 a throwing callback replaced the error being handled (this spec said "errors
  // with what it threw"): the subscriber lost the real failure. Now the original error goes on and
  // the callback's error is reported as RxJS reports an error it cannot deliver.
  describe('when a user callback throws', () => {
    it('errors with the original error and reports what the callback threw to config.onUnhandledError', () => {
      const reported = captureUnhandled(() =>
        testScheduler.run(({ cold, expectObservable }) => {
          const source = cold('-#', undefined, network);
          const throwing = (what: string) => () => {
            throw new Error(`${what} failed`);
          };
          expectObservable(source.pipe(retryBackoff({ shouldRetry: throwing('shouldRetry'), scheduler: testScheduler }))).toBe('-#', undefined, network);
          expectObservable(source.pipe(retryBackoff({ onRetry: throwing('onRetry'), scheduler: testScheduler }))).toBe('-#', undefined, network);
        }),
      );
      expect(reported.map((error) => (error as Error).message).sort()).toEqual(['onRetry failed', 'shouldRetry failed']);
    });
  });

  describe('when random() returns a number outside [0, 1)', () => {
    it('waits neither above the cap nor below 0: the original error goes on, a RangeError naming random is reported', () => {
      const reported = captureUnhandled(() =>
        testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
          const high = cold('-#', undefined, network);
          const low = cold('-#', undefined, network);
          expectObservable(high.pipe(retryBackoff({ baseDelay: 100, random: () => 5, scheduler: testScheduler }))).toBe('-#', undefined, network);
          expectObservable(low.pipe(retryBackoff({ baseDelay: 100, random: () => -1, scheduler: testScheduler }))).toBe('-#', undefined, network);
          expectSubscriptions(high.subscriptions).toBe('^!');
          expectSubscriptions(low.subscriptions).toBe('^!');
        }),
      );
      expect(reported).toHaveLength(2);
      for (const error of reported) {
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toMatch(/`random` must return a number in \[0, 1\)/);
      }
    });
  });

  describe('when the source succeeds after synchronous failures', () => {
    it('resubscribes and passes values through', () => {
      testScheduler.run(({ expectObservable }) => {
        let tries = 0;
        const source = defer(() => (++tries < 3 ? throwError(() => network) : of('v')));
        expectObservable(source.pipe(retryBackoff({ baseDelay: 10, jitter: false, scheduler: testScheduler }))).toBe('30ms (v|)', { v: 'v' });
      });
    });
  });

  describe('when the config is invalid', () => {
    it('throws a RangeError', () => {
      expect(() => retryBackoff({ maxRetries: -1 })).toThrow(RangeError);
      expect(() => retryBackoff({ baseDelay: Number.NaN })).toThrow(RangeError);
    });

    it('throws a RangeError naming maxRetries for a count that is not whole', () => {
      expect(() => retryBackoff({ maxRetries: 1.5 })).toThrow(new RangeError('retryBackoff: `maxRetries` must be a whole number of retries >= 0 (or Infinity); got 1.5'));
      expect(() => retryBackoff({ maxRetries: Infinity })).not.toThrow();
    });

    it('throws a TypeError naming the field for a value of the wrong type or an option it does not have', () => {
      const bad = (config: unknown) => () => retryBackoff(config as RetryBackoffConfig);
      expect(bad({ maxRetries: '3' })).toThrow(/retryBackoff: `maxRetries` must be a number of retries; got string/);
      expect(bad({ maxDelay: '1s' })).toThrow(/`maxDelay` must be a number of ms; got string/);
      expect(bad({ random: 0.5 })).toThrow(/`random` must be a function; got number/);
      expect(bad({ onRetry: 'log' })).toThrow(/`onRetry` must be a function/);
      expect(bad({ jitter: 'full' })).toThrow(/`jitter` must be a boolean/);
      expect(bad({ scheduler: {} })).toThrow(/`scheduler` must be a SchedulerLike/);
      expect(bad({ count: 3 })).toThrow(/retryBackoff has no option `count`/);
      for (const config of [{ maxRetries: '3' }, { random: 0.5 }, { count: 3 }]) expect(bad(config)).toThrow(TypeError);
    });
  });
});

/** The errors RxJS reported as undeliverable (`config.onUnhandledError`) while `run` ran. */
function captureUnhandled(run: () => void): unknown[] {
  const reported: unknown[] = [];
  const previous = rxConfig.onUnhandledError;
  rxConfig.onUnhandledError = (error) => reported.push(error);
  try {
    run();
  } finally {
    rxConfig.onUnhandledError = previous;
  }
  return reported;
}

// waitForNetwork (lib/retry/retry-backoff.ts): offline, a NetworkError waits for `online` instead of spending a
// retry (issue 26); online, or where the runtime cannot tell (Node), it goes on at once.
const network = offlineNetwork();
afterEach(() => network.restore());

/** Fails with `error()` until `failures` tries have failed, then emits 'ok'. */
function flaky(failures: number, error: () => unknown) {
  const counter = { tries: 0 };
  return { source: defer(() => (++counter.tries <= failures ? throwError(error) : of('ok'))), counter };
}

describe('waitForNetwork', () => {
  it('offline, waits for the online event and tries again, saying when it waits and when it goes on', () => {
    const testScheduler = createTestScheduler();
    network.goOffline();
    testScheduler.run(({ expectObservable }) => {
      const { source, counter } = flaky(1, () => new NetworkError('GET', 'https://api.test/x'));
      const said: NetworkWait[] = [];
      testScheduler.schedule(() => network.goOnline(), 50);
      expectObservable(source.pipe(waitForNetwork((moment) => said.push(moment)))).toBe('50ms (o|)', { o: 'ok' });
      testScheduler.flush();
      expect(counter.tries).toBe(2);
      expect(said).toEqual(['network-waiting', 'network-back']);
      expect(network.listening).toBe(0);
    });
  });

  it('removes its listener when the waiter leaves (a request timeout, a refresh deadline)', () => {
    network.goOffline();
    const subscription = throwError(() => new NetworkError('GET', 'https://api.test/x')).pipe(waitForNetwork()).subscribe({ error: () => undefined });
    expect(network.listening).toBe(1);
    subscription.unsubscribe();
    expect(network.listening).toBe(0);
  });

  it('passes any other error on at once, offline too', () => {
    network.goOffline();
    const errors: unknown[] = [];
    const refused = new HttpError({ method: 'GET', url: 'https://api.test/x', status: 503 });
    throwError(() => refused).pipe(waitForNetwork()).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toEqual([refused]);
  });

  it('passes a NetworkError on at once while online, and in Node, which cannot say (as before issue 26)', () => {
    const errors: unknown[] = [];
    const failed = new NetworkError('GET', 'https://api.test/x');
    throwError(() => failed).pipe(waitForNetwork()).subscribe({ error: (error: unknown) => errors.push(error) });
    network.goOffline();
    network.goOnline();
    throwError(() => failed).pipe(waitForNetwork()).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toEqual([failed, failed]);
  });

  it('passes a NetworkError on at once when mayWait says no (a refresh nobody listens to any more)', () => {
    network.goOffline();
    const errors: unknown[] = [];
    const failed = new NetworkError('GET', 'https://api.test/x');
    throwError(() => failed).pipe(waitForNetwork(undefined, () => false)).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toEqual([failed]);
    expect(network.listening).toBe(0);
  });
});
