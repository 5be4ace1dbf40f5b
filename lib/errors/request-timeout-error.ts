import { RequestError } from './request-error.js';

/**
 * The request ran out of time: its `timeout` (the whole request: attempts, backoff waits and
 * the wait for a refresh) or its `attemptTimeout` (one attempt; retried like a network error on
 * idempotent requests). The fetch was aborted. Named so it does not clash with RxJS's own
 * `TimeoutError`.
 */
export class RequestTimeoutError extends RequestError {
  override readonly name = 'RequestTimeoutError' as const;
  readonly code = 'TIMEOUT' as const;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeout: number;

  constructor(method: string, url: string, timeout: number) {
    super(method, url, (shown) => `${method} ${shown} timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
}
