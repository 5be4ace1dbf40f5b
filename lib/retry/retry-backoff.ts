import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { backoffDelay } from './backoff-delay.js';
import { isTransientError } from './is-transient-error.js';
import { retryAfterDelay } from './retry-after.js';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';

/** How {@link retryBackoff} retries. Every field is optional. */
export interface RetryBackoffConfig {
  /** Retries after the first try; 0 turns retrying off. @default 3 */
  readonly maxRetries?: number;
  /** The cap of the first wait in ms; it doubles with each retry. @default 300 */
  readonly baseDelay?: number;
  /** The longest wait in ms, `Retry-After` included. @default 10000 */
  readonly maxDelay?: number;
  /** Full jitter: wait a uniform random time between 0 and the cap. @default true */
  readonly jitter?: boolean;
  /** The random source for jitter, returning [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Honour a `Retry-After` header on an {@link HttpError} (seconds or HTTP date). @default true */
  readonly retryAfter?: boolean;
  /** Which errors to retry; `attempt` is 1 for the first retry. @default isTransientError */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Called before each wait, e.g. to log or emit an event. */
  readonly onRetry?: (error: unknown, attempt: number, delay: number) => void;
  /** Where the waits run; pass a `TestScheduler` in marble tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Resubscribes to the source after transient errors, waiting with exponential backoff and full
 * jitter, honouring `Retry-After`. Errors that `shouldRetry` rejects, and the error after the last
 * retry, are rethrown unchanged at once. Unsubscribing cancels a pending wait.
 *
 * @example
 * client.get<Report>('/reports/1').pipe(retryBackoff({ maxRetries: 5, baseDelay: 1000 }))
 */
export function retryBackoff<T>(config: RetryBackoffConfig = {}): MonoTypeOperatorFunction<T> {
  const { maxRetries, scheduler, delayOf } = backoffPolicy(config);
  return retry<T>({
    count: maxRetries,
    delay: (error: unknown, attempt: number) => {
      const wait = delayOf(error, attempt);
      return wait === undefined ? throwError(() => error) : timer(wait, scheduler);
    },
  });
}

/** {@link retryBackoff} as a decision, for code that runs its own retry loop (the request pipeline). */
export interface BackoffPolicy {
  readonly maxRetries: number;
  readonly scheduler: SchedulerLike;
  /** The wait before retry number `attempt` (from 1) after `error`, or `undefined` for none; calls `onRetry`. */
  delayOf(error: unknown, attempt: number): number | undefined;
}

/** Checks `config`, fills in the defaults of {@link RetryBackoffConfig}, and decides each retry. */
export function backoffPolicy(config: RetryBackoffConfig): BackoffPolicy {
  const {
    maxRetries = 3,
    baseDelay = 300,
    maxDelay = 10_000,
    jitter = true,
    random = Math.random,
    retryAfter = true,
    shouldRetry = isTransientError,
    onRetry,
    scheduler = asyncScheduler,
  } = config;
  checkRetryConfig({ maxRetries, baseDelay, maxDelay });
  return {
    maxRetries,
    scheduler,
    delayOf(error, attempt) {
      if (attempt > maxRetries || !shouldRetry(error, attempt)) return undefined;
      const asked = retryAfter ? retryAfterDelay(error, scheduler.now()) : undefined;
      // A huge maxDelay or Retry-After must not overflow the timer into an immediate retry.
      const wait = Math.min(asked === undefined ? backoffDelay(attempt, { baseDelay, maxDelay, jitter, random }) : Math.min(asked, maxDelay), MAX_TIMER_DELAY);
      onRetry?.(error, attempt, wait);
      return wait;
    },
  };
}

/** Throws a RangeError when a count or delay of `config` is negative or not a number. */
export function checkRetryConfig(config: RetryBackoffConfig): void {
  const { maxRetries = 0, baseDelay = 0, maxDelay = 0 } = config;
  if (!(maxRetries >= 0) || !(baseDelay >= 0) || !(maxDelay >= 0)) {
    throw new RangeError('retryBackoff: maxRetries, baseDelay and maxDelay must be numbers >= 0');
  }
}
