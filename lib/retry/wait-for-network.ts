import { defer, fromEvent, of, retry, take, tap, throwError, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { NetworkError } from '../errors/network-error.js';

/*
 * Offline is not a failure to retry (issue 26): while the runtime says it has no network
 * (`navigator.onLine === false`, browsers), a NetworkError waits for the `online` event and then
 * tries again, spending none of the retries it would have burnt in a second. Whoever applies it
 * bounds the wait: a request's `timeout`, a refresh's `refreshDeadline` (rule 13).
 */

/** What the global object needs for this: `navigator.onLine` and the `online` event. */
interface NetworkGlobal {
  readonly navigator?: { readonly onLine?: boolean };
  addEventListener?(type: 'online', listener: () => void): void;
  removeEventListener?(type: 'online', listener: () => void): void;
}

/** A moment of the wait: it begins (`network-waiting`), or the network is back (`network-back`). */
export type NetworkWait = 'network-waiting' | 'network-back';

/**
 * Retries after a NetworkError once the runtime is online again, when it says it is offline;
 * any other error, or a NetworkError while online (or where the runtime cannot tell: Node), goes
 * on unchanged at once, as it does when `mayWait()` says no. `say` hears when a wait begins and
 * ends. Unsubscribing removes the listener.
 */
export function waitForNetwork<T>(say?: (moment: NetworkWait) => void, mayWait: () => boolean = () => true): MonoTypeOperatorFunction<T> {
  return retry<T>({
    delay: (error: unknown) => {
      const online$ = error instanceof NetworkError && mayWait() ? onlineAgain() : undefined;
      if (!online$) return throwError(() => error);
      say?.('network-waiting');
      return online$.pipe(tap(() => say?.('network-back')));
    },
  });
}

// Emits once the network is back, or `undefined` when the runtime is online or cannot say.
function onlineAgain(): Observable<unknown> | undefined {
  const global = globalThis as NetworkGlobal;
  if (global.navigator?.onLine !== false || typeof global.addEventListener !== 'function') return undefined;
  const target = global as Required<Pick<NetworkGlobal, 'addEventListener' | 'removeEventListener'>>;
  // `online` may have fired since the check: it is asked again on subscription.
  return defer(() => (global.navigator?.onLine === false ? fromEvent(target, 'online').pipe(take(1)) : of(0)));
}
