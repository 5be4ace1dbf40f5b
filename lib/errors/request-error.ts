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
