import type { SchedulerLike } from 'rxjs';

/** How `retryBackoff` retries. Every field is optional; `checkRetryConfig` says what each accepts. */
export interface RetryBackoffConfig {
  /** Retries after the first try: a whole number >= 0 (or `Infinity`); 0 turns retrying off. @default 3 */
  readonly maxRetries?: number;
  /** The cap of the first wait in ms; it doubles with each retry. @default 300 */
  readonly baseDelay?: number;
  /** The longest wait in ms, `Retry-After` included. @default 10000 */
  readonly maxDelay?: number;
  /** Full jitter: wait a uniform random time between 0 and the cap. @default true */
  readonly jitter?: boolean;
  /**
   * The random source for jitter, returning [0, 1). Another value is a RangeError naming `random`,
   * reported as `backoffPolicy` says; the error being retried goes on. @default Math.random
   */
  readonly random?: () => number;
  /** Honour a `Retry-After` header on an {@link HttpError} (seconds or HTTP date). @default true */
  readonly retryAfter?: boolean;
  /** Which errors to retry; `attempt` is 1 for the first retry. @default isTransientError */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Called before each wait, e.g. to log or emit an event. If it throws, retrying stops, the
   * error being handled goes on, and its own error is reported (RxJS's `config.onUnhandledError`).
   */
  readonly onRetry?: (error: unknown, attempt: number, delay: number) => void;
  /** Where the waits run; pass a `TestScheduler` in marble tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** A retry policy: a number of retries, a policy merged over the client's, or `false` for none. */
export type RetryOption = number | RetryBackoffConfig | false;
