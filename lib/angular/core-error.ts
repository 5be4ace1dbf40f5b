import { HttpErrorResponse, type HttpHeaders } from '@angular/common/http';
import { HttpError, NetworkError } from '../errors/request-error.js';

// Stand-ins created here, so that only they are unwrapped again: an HttpError thrown by the
// app's own code passes through untouched.
const standIns = new WeakSet<object>();

/**
 * The core's view of an Angular failure, so that the core's classifiers (`isTokenRejection`,
 * `isTransientError`, `Retry-After`) decide for Angular requests too: status 0 becomes a
 * {@link NetworkError}, any other {@link HttpErrorResponse} an {@link HttpError}, each with the
 * original as `cause`. Other errors are returned as they are.
 */
export function toCoreError(error: unknown, method: string, url: string): unknown {
  if (!(error instanceof HttpErrorResponse)) return error;
  const standIn =
    error.status === 0
      ? new NetworkError(method, url, { cause: error })
      : new HttpError({
          method,
          url,
          status: error.status,
          statusText: error.statusText,
          headers: toHeaders(error.headers),
          // The URL that answered, after redirects: a 401 from another origin must not refresh.
          responseUrl: absolute(error.url, url),
          cause: error,
        });
  standIns.add(standIn);
  return standIn;
}

/** Undoes {@link toCoreError}: the app sees Angular's {@link HttpErrorResponse}, as without the interceptor. */
export function fromCoreError(error: unknown): unknown {
  return typeof error === 'object' && error !== null && standIns.has(error) ? (error as Error).cause : error;
}

// Angular's test backend reports the request's own (possibly relative) URL.
function absolute(responseUrl: string | null, requestUrl: string): string {
  if (responseUrl === null) return requestUrl;
  try {
    return new URL(responseUrl, requestUrl).href;
  } catch {
    return requestUrl;
  }
}

function toHeaders(headers: HttpHeaders): Headers {
  const result = new Headers();
  for (const name of headers.keys()) {
    for (const value of headers.getAll(name) ?? []) {
      try {
        result.append(name, value);
      } catch {
        // A value fetch would refuse (set by hand in a test double) cannot matter to the classifiers.
      }
    }
  }
  return result;
}
