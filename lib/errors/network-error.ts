import { RequestError } from './request-error.js';

/**
 * The request never got a response: DNS, connection refused or reset, CORS, offline.
 * Transient: retried with backoff on idempotent requests. `cause` is what `fetch` threw.
 */
export class NetworkError extends RequestError {
  override readonly name = 'NetworkError' as const;
  readonly code = 'NETWORK' as const;

  constructor(method: string, url: string, options?: { cause?: unknown }) {
    super(method, url, (shown) => `${method} ${shown} failed: network error`, options);
  }
}
