import { HttpContextToken } from '@angular/common/http';
import type { RetryOption } from '../retry/retry-backoff-config.js';

// What one request may set in its HttpContext for tokenRefreshInterceptor.

/**
 * Set it to `true` on a request that {@link tokenRefreshInterceptor} must leave alone: no
 * token, no refresh after a 401, no retry. For public endpoints of an allowed origin, or
 * requests that carry credentials of their own.
 *
 * @example
 * http.get('https://api.example.com/status', { context: new HttpContext().set(SKIP_TOKEN_REFRESH, true) })
 */
export const SKIP_TOKEN_REFRESH = new HttpContextToken<boolean>(() => false);

/**
 * Overrides, for one request, the retries of transient errors set in {@link provideTokenRefresh}:
 * `false` turns them off, a number sets the count, a `RetryBackoffConfig` is merged over the
 * default. Setting it on a non-idempotent request (`POST`, `PATCH`) opts that request in: the
 * caller vouches that sending it twice is harmless. Unset, only `GET`, `HEAD`, `OPTIONS`, `PUT`,
 * `DELETE` and requests with an `Idempotency-Key` header are retried. Any other value (`'three'`,
 * `true`, `{ maxRetries: 1.5 }`, an option a `RetryBackoffConfig` does not have) fails the request
 * with a TypeError (a RangeError for a bad count or delay) naming `TRANSIENT_RETRY`, before it is sent.
 *
 * @example
 * http.post('https://api.example.com/search', query, { context: new HttpContext().set(TRANSIENT_RETRY, 3) })
 */
export const TRANSIENT_RETRY = new HttpContextToken<RetryOption | undefined>(() => undefined);
