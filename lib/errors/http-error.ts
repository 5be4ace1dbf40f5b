import { redactUrl } from '../util/redact-url.js';
import { HttpClientError } from './http-client-error.js';

/** What an {@link HttpError} knows about the failed response. */
export interface HttpErrorInit {
  readonly method: string;
  /** The request URL, with credential-like query values (`access_token`, `code`, …) redacted. */
  readonly url: string;
  readonly status: number;
  readonly statusText?: string;
  readonly headers?: Headers;
  readonly body?: unknown;
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
export class HttpError extends HttpClientError {
  override readonly name = 'HttpError';
  readonly code = 'HTTP_STATUS';
  readonly method: string;
  /** The request URL, with credential-like query values (`access_token`, `code`, …) redacted. */
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: unknown;

  constructor(init: HttpErrorInit) {
    const statusText = init.statusText ?? '';
    super(
      init.message ??
        `${init.method} ${redactUrl(init.url)} failed with ${init.status}${statusText ? ` ${statusText}` : ''}`,
      { cause: init.cause },
    );
    this.method = init.method;
    this.url = redactUrl(init.url);
    this.status = init.status;
    this.statusText = statusText;
    this.headers = init.headers ?? new Headers();
    this.body = init.body;
  }
}
