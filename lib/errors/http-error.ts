import { redactUrl } from '../util/redact-url.js';
import { RequestError } from './request-error.js';

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
