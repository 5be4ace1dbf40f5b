import { redactUrl } from '../util/redact-url.js';
import { HttpClientError } from './http-client-error.js';

/**
 * The request never got a response: DNS, connection refused or reset, CORS, offline.
 * Transient: retried with backoff on idempotent requests. `cause` is what `fetch` threw.
 */
export class NetworkError extends HttpClientError {
  override readonly name = 'NetworkError';
  readonly code = 'NETWORK';
  readonly method: string;
  /** The request URL, with credential-like query values (`access_token`, `code`, …) redacted. */
  readonly url: string;

  constructor(method: string, url: string, options?: { cause?: unknown }) {
    super(`${method} ${redactUrl(url)} failed: network error`, options);
    this.method = method;
    this.url = redactUrl(url);
  }
}
