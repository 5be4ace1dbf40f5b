import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { backoffDelay } from './backoff-delay.js';
import { isTransientError } from './is-transient-error.js';
import { retryAfterDelay } from './retry-after.js';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';
import { reportUnhandledError } from '../util/report-unhandled-error.js';
import { checkRetryConfig } from './check-retry-config.js';
import type { RetryBackoffConfig } from './retry-backoff-config.js';

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
