import { redactUrl } from '../util/redact-url.js';
import { HttpClientError } from './http-client-error.js';

/**
 * One attempt took longer than its `timeout`; its fetch was aborted. Transient: retried with
 * backoff on idempotent requests. Named so it does not clash with RxJS's own `TimeoutError`.
 */
export class RequestTimeoutError extends HttpClientError {
  override readonly name = 'RequestTimeoutError';
  readonly code = 'TIMEOUT';
  readonly method: string;
  /** The request URL, with credential-like query values (`access_token`, `code`, …) redacted. */
  readonly url: string;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeout: number;

  constructor(method: string, url: string, timeout: number) {
    super(`${method} ${redactUrl(url)} timed out after ${timeout} ms`);
    this.method = method;
    this.url = redactUrl(url);
    this.timeout = timeout;
  }
}
