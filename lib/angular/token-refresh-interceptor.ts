import { DOCUMENT } from '@angular/common';
import type { HttpEvent, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, throwError, type Observable } from 'rxjs';
import { authorize } from '../auth/authorize.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import { retryBackoff } from '../retry/retry-backoff.js';
import { reportEvent } from '../session/report-event.js';
import { redactUrl } from '../util/redact-url.js';
import { fromCoreError, toCoreError } from './core-error.js';
import { SKIP_TOKEN_REFRESH } from './skip-token-refresh.js';
import { TOKEN_REFRESH_OPTIONS } from './token-refresh-options.js';
import { mayRetryTransient, mergeRetry } from '../retry/retry-policy.js';
import { TOKEN_SESSION } from './token-session-token.js';
import { TRANSIENT_RETRY } from './transient-retry.js';

/**
 * Runs Angular's requests through the {@link TOKEN_SESSION} of {@link provideTokenRefresh}.
 * A request to an allowed origin gets `Authorization: Bearer <token>` (after a refresh first,
 * when the token expires within the session's skew); on a token rejection (401 whose
 * `WWW-Authenticate` names no error or `invalid_token`) it waits for the session's one refresh
 * of that generation and is sent once more. 403 and other 401 challenges never refresh.
 * Idempotent requests are retried on transient errors (status 0, 408, 429, 5xx) with backoff,
 * honouring `Retry-After`; see {@link TRANSIENT_RETRY}.
 *
 * Left untouched: requests to other origins, requests that carry their own `Authorization`
 * header, and requests with {@link SKIP_TOKEN_REFRESH}.
 *
 * Errors: HTTP failures stay Angular's `HttpErrorResponse`; when the session cannot give a token
 * the request fails with the session's own error instead, unwrapped: `TokenRevokedError`
 * (terminal, until new tokens are set) or `TokenRefreshError`. Unsubscribing aborts the request
 * and any backoff wait, never a refresh that others may be waiting for.
 *
 * Interceptors listed before it see each call once; those after it see every attempt, with the
 * token.
 *
 * @example
 * provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor]))
 */
export const tokenRefreshInterceptor: HttpInterceptorFn = (req, next) => {
  if (req.context.get(SKIP_TOKEN_REFRESH) || req.headers.has('Authorization')) return next(req);
  const options = inject(TOKEN_REFRESH_OPTIONS, { optional: true });
  if (!options) {
    return throwError(() => new Error('tokenRefreshInterceptor needs provideTokenRefresh(...) in the same or a parent injector'));
  }
  const url = resolveUrl(req.url, inject(DOCUMENT, { optional: true })?.baseURI);
  if (url === undefined || !options.allowedOrigins.has(url.origin)) return next(req);

  const session = inject(TOKEN_SESSION);
  const shownUrl = redactUrl(url.href);
  const send = (token: string | null): Observable<HttpEvent<unknown>> =>
    next(token === null ? req : req.clone({ setHeaders: { Authorization: `Bearer ${token}` } })).pipe(
      catchError((error: unknown) => throwError(() => toCoreError(error, req.method, url.href))),
    );
  const authorized = authorize(session, send, {
    onRetry: () => reportEvent(session, { type: 'request-retried', method: req.method, url: shownUrl, reason: 'unauthorized', attempt: 1 }),
  });
  const retry = transientRetry(req, options.retry);
  const attempts = !retry
    ? authorized
    : authorized.pipe(
        retryBackoff({
          ...retry,
          onRetry: (error, attempt, delay) => {
            retry.onRetry?.(error, attempt, delay);
            reportEvent(session, { type: 'request-retried', method: req.method, url: shownUrl, reason: 'transient', attempt });
          },
        }),
      );
  return attempts.pipe(catchError((error: unknown) => throwError(() => fromCoreError(error))));
};

function transientRetry(req: HttpRequest<unknown>, defaults: RetryBackoffConfig): RetryBackoffConfig | undefined {
  const own = req.context.get(TRANSIENT_RETRY);
  if (own === undefined && !mayRetryTransient(req.method, req.headers.has('Idempotency-Key'))) return undefined;
  const retry = own === undefined ? defaults : mergeRetry(defaults, own);
  return retry.maxRetries === 0 ? undefined : retry;
}

function resolveUrl(url: string, base: string | undefined): URL | undefined {
  try {
    return new URL(url, base);
  } catch {
    return undefined;
  }
}
