import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike, defer, fromEvent, of, take, tap, type Observable } from 'rxjs';
import { backoffDelay } from './backoff-delay.js';
import { isTransientError } from './is-transient-error.js';
import { retryAfterDelay } from './retry-after.js';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';
import { reportUnhandledError } from '../util/report-unhandled-error.js';
import { checkRetryConfig } from './check-retry-config.js';
import type { RetryBackoffConfig } from './retry-backoff-config.js';
import { NetworkError } from '../errors/request-error.js';

export type { RetryBackoffConfig } from './retry-backoff-config.js';


/**
 * Resubscribes to the source after transient errors, waiting with exponential backoff and full
 * jitter, honouring `Retry-After`. Errors that `shouldRetry` rejects, and the error after the last
 * retry, are rethrown unchanged at once. Unsubscribing cancels a pending wait. Throws a
 * TypeError or RangeError at once, naming the field, for a config it cannot follow (`maxRetries:
 * 1.5`, a negative delay, an option it does not have).
 *
 * @example
 * api.get<Report>('/reports/1').pipe(retryBackoff({ maxRetries: 5, baseDelay: 1000 }))
 */
export function retryBackoff<T>(config: RetryBackoffConfig = {}): MonoTypeOperatorFunction<T> {
  checkRetryConfig(config);
  return retryChecked(config);
}

/**
 * {@link retryBackoff} of a config checked already where it was given (a client's, a request's,
 * a session's `refreshRetry`): what the library builds per request or per refresh checks nothing again.
 */
export function retryChecked<T>(config: RetryBackoffConfig): MonoTypeOperatorFunction<T> {
  const { maxRetries, scheduler, delayOf } = backoffPolicy(config);
  return retry<T>({
    count: maxRetries,
    delay: (error: unknown, attempt: number) => {
      const wait = delayOf(error, attempt);
      return wait === undefined ? throwError(() => error) : timer(wait, scheduler);
    },
  });
}

/** {@link retryBackoff} as a decision, for code that runs its own retry loop (the request path). */
export interface BackoffPolicy {
  readonly maxRetries: number;
  readonly scheduler: SchedulerLike;
  /** The wait before retry number `attempt` (from 1) after `error`, or `undefined` for none; calls `onRetry`. */
  delayOf(error: unknown, attempt: number): number | undefined;
}

/**
 * Fills in the defaults of a checked {@link RetryBackoffConfig}, and decides each retry. A callback that misbehaves at run time
 * (`shouldRetry` or `onRetry` throws, `random()` returns a number outside [0, 1)) never replaces
 * the error being handled: retrying stops, that error goes on, and the fault (a RangeError naming
 * `random` for the latter) is reported through RxJS's `config.onUnhandledError`, or thrown
 * asynchronously without one.
 */
export function backoffPolicy(config: RetryBackoffConfig): BackoffPolicy {
  const { maxRetries = 3, baseDelay = 300, maxDelay = 10_000, jitter = true, random = Math.random, retryAfter = true, shouldRetry = isTransientError, onRetry, scheduler = asyncScheduler } = config;
  const delay = { baseDelay, maxDelay, jitter, random: checkedRandom(random) };
  const decide = (error: unknown, attempt: number): number | undefined => {
    if (!shouldRetry(error, attempt)) return undefined;
    const asked = retryAfter ? retryAfterDelay(error, scheduler.now()) : undefined;
    // A huge maxDelay or Retry-After must not overflow the timer into an immediate retry.
    const wait = Math.min(asked === undefined ? backoffDelay(attempt, delay) : Math.min(asked, maxDelay), MAX_TIMER_DELAY);
    onRetry?.(error, attempt, wait);
    return wait;
  };
  return {
    maxRetries,
    scheduler,
    delayOf(error, attempt) {
      if (attempt > maxRetries) return undefined;
      try {
        return decide(error, attempt);
      } catch (fault) {
        reportUnhandledError(fault);
        return undefined;
      }
    },
  };
}

function checkedRandom(random: () => number): () => number {
  return () => {
    const value = random();
    if (value >= 0 && value < 1) return value;
    throw new RangeError(`retryBackoff: \`random\` must return a number in [0, 1); it returned ${typeof value === 'number' ? String(value) : typeof value}`);
  };
}
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
