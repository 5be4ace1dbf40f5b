import { HttpError, NetworkError, RequestTimeoutError } from '../errors/request-error.js';

/**
 * Whether an error may go away by itself, so that trying again later makes sense: a
 * {@link NetworkError}, a {@link RequestTimeoutError}, or an {@link HttpError} with status 408,
 * 429 or 5xx. Everything else (4xx, revocation, parse errors, TypeErrors for input the library
 * refuses, errors thrown by user code) is not.
 */
export function isTransientError(error: unknown): error is HttpError | NetworkError | RequestTimeoutError {
  if (error instanceof NetworkError || error instanceof RequestTimeoutError) return true;
  if (error instanceof HttpError) {
    return error.status === 408 || error.status === 429 || (error.status >= 500 && error.status <= 599);
  }
  return false;
}
