// lib/retry/wait-for-network.ts: offline, a NetworkError waits for `online` instead of spending a
// retry (issue 26); online, or where the runtime cannot tell (Node), it goes on at once.
import { defer, of, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../lib/errors/http-error.js';
import { NetworkError } from '../../lib/errors/network-error.js';
import { waitForNetwork, type NetworkWait } from '../../lib/retry/wait-for-network.js';
import { createTestScheduler } from '../helpers/marbles.js';
import { offlineNetwork } from '../helpers/offline.js';

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
