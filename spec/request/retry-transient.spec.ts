import { defer, of, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../lib/errors/request-error.js';
import { TokenRefreshError } from '../../lib/errors/token-refresh-error.js';
import { retryTransient } from '../../lib/request/retry-transient.js';
import type { NetworkWaitEvent, RequestRetriedEvent } from '../../lib/session/session-event.js';
import type { TokenAccess } from '../../lib/session/token-access.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { offlineNetwork } from '../helpers/offline.js';

const URL = 'https://api.test/items';

function reporting(): { access: TokenAccess; events: (RequestRetriedEvent | NetworkWaitEvent)[] } {
  const events: (RequestRetriedEvent | NetworkWaitEvent)[] = [];
  const access: TokenAccess = {
    token: () => of({ accessToken: 'token', generation: 1 }),
    report: (event) => events.push(event),
    revoked$: of(),
  };
  return { access, events };
}

/** Fails `failures` times with `error`, then emits 'ok'; counts its subscriptions. */
function flaky(failures: number, error: () => unknown) {
  const counter = { tries: 0 };
  const source = defer(() => (++counter.tries <= failures ? throwError(error) : of('ok')));
  return { source, counter };
}

describe('retryTransient', () => {
  it('retries a transient error on the request path scheduler, reporting each retry as a request-retried event', () => {
    const testScheduler = createTestScheduler();
    testScheduler.run(({ expectObservable }) => {
      const { access, events } = reporting();
      const { source, counter } = flaky(2, () => new NetworkError('GET', URL));
      const own: number[] = [];
      const config = { maxRetries: 3, baseDelay: 10, jitter: false, onRetry: (_error: unknown, attempt: number) => own.push(attempt) };
      expectObservable(source.pipe(retryTransient(config, access, testScheduler))).toBe('30ms (o|)', { o: 'ok' });
      testScheduler.flush();
      expect(counter.tries).toBe(3);
      expect(own).toEqual([1, 2]); // the config's own onRetry is called too
      expect(events).toEqual([
        { type: 'request-retried', method: 'GET', url: URL, reason: 'transient', attempt: 1 },
        { type: 'request-retried', method: 'GET', url: URL, reason: 'transient', attempt: 2 },
      ]);
    });
  });

  it('never retries a request the sign-in pin refused, whatever shouldRetry says (rule 18)', () => {
    const { access, events } = reporting();
    const refused = new TokenRefreshError('GET /items was not sent again', { reason: 'sign-in-changed' });
    const { source, counter } = flaky(1, () => refused);
    const errors: unknown[] = [];
    source.pipe(retryTransient({ maxRetries: 3, shouldRetry: () => true }, access, createTestScheduler())).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toEqual([refused]);
    expect(counter.tries).toBe(1);
    expect(events).toEqual([]);
  });
});

describe('retryTransient offline (issue 26)', () => {
  const network = offlineNetwork();
  afterEach(() => network.restore());

  it('asks the runtime as each request applies it: built where nothing could say offline (Node), it still waits once the runtime can', () => {
    const testScheduler = createTestScheduler();
    const { access, events } = reporting();
    // Built before the runtime has `navigator.onLine`, as a client is created before the app goes offline.
    const operator = retryTransient<string>({ maxRetries: 1, baseDelay: 10, jitter: false }, access, testScheduler);
    network.goOffline();
    testScheduler.run(({ expectObservable }) => {
      const counter = { tries: 0 };
      const source = defer(() => (++counter.tries, (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false ? throwError(() => new NetworkError('GET', URL)) : of('ok')));
      testScheduler.schedule(() => network.goOnline(), 5_000);
      expectObservable(source.pipe(operator)).toBe('5000ms (o|)', { o: 'ok' });
      testScheduler.flush();
      expect(counter.tries).toBe(2);
      expect(events.map((event) => event.type)).toEqual(['network-waiting', 'network-back']);
    });
  });

  it('waits for online instead of spending its retries, and says so on events$', () => {
    const testScheduler = createTestScheduler();
    network.goOffline();
    testScheduler.run(({ expectObservable }) => {
      const { access, events } = reporting();
      const counter = { tries: 0 };
      // Fails as fetch does while the browser is offline, answers once it is back.
      const source = defer(() => (++counter.tries, (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false ? throwError(() => new NetworkError('GET', URL)) : of('ok')));
      testScheduler.schedule(() => network.goOnline(), 5_000);
      expectObservable(source.pipe(retryTransient({ maxRetries: 1, baseDelay: 10, jitter: false }, access, testScheduler))).toBe('5000ms (o|)', { o: 'ok' });
      testScheduler.flush();
      expect(counter.tries).toBe(2);
      expect(events).toEqual([
        { type: 'network-waiting', operation: 'request' },
        { type: 'network-back', operation: 'request' },
      ]);
    });
  });
});
