import { redactUrl } from '../util/redact-url.js';
import { BaseError } from './base-error.js';

/**
 * Base of the errors of one request: {@link HttpError}, {@link NetworkError} and
 * {@link RequestTimeoutError}. Each names the request's method and its URL, redacted: no
 * userinfo, no values of credential-like query parameters (`access_token`, `code`, …).
 */
export abstract class RequestError extends BaseError {
  readonly method: string;
  /** The request URL, with credential-like query values (`access_token`, `code`, …) redacted. */
  readonly url: string;

  protected constructor(method: string, url: string, describe: (shownUrl: string) => string, options?: { cause?: unknown }) {
    const shown = redactUrl(url);
    super(describe(shown), options);
    this.method = method;
    this.url = shown;
  }
}
/** What an {@link HttpError} knows about the failed response. */
export interface HttpErrorInit {
  readonly method: string;
  /** The request URL; it is redacted before it is stored. */
  readonly url: string;
  readonly status: number;
  readonly statusText?: string;
  readonly headers?: Headers;
  readonly body?: unknown;
  /** The URL that answered, after redirects. @default url */
  readonly responseUrl?: string;
  readonly message?: string;
  readonly cause?: unknown;
}

/**
 * The server answered with a failing status (4xx or 5xx). `body` is the parsed response body
 * (JSON when it parses, else text). Also raised, with the response's own status, when a
 * successful response's body cannot be parsed as the requested `responseType` (as Angular does).
 *
 * Retried by the library only for 408, 429 and 5xx on idempotent requests.
 */
export class HttpError extends RequestError {
  override readonly name = 'HttpError' as const;
  readonly code = 'HTTP_STATUS' as const;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: unknown;
  /**
   * The URL that answered, after redirects, redacted like `url`. A 401 refreshes the token only
   * when this URL's origin may receive it.
   */
  readonly responseUrl: string;

  constructor(init: HttpErrorInit) {
    const statusText = init.statusText ?? '';
    super(init.method, init.url, (shown) => init.message ?? `${init.method} ${shown} failed with ${init.status}${statusText ? ` ${statusText}` : ''}`, {
      cause: init.cause,
    });
    this.status = init.status;
    this.statusText = statusText;
    this.headers = init.headers ?? new Headers();
    this.body = init.body;
    this.responseUrl = init.responseUrl === undefined || init.responseUrl === init.url ? this.url : redactUrl(init.responseUrl);
  }
}
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
