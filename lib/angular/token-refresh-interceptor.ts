import { DOCUMENT } from '@angular/common';
import type { HttpEvent, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, throwError, type Observable } from 'rxjs';
import { mayRetryTransient, type OutgoingRequest } from '../request/request-path.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import { mergeRetry } from '../retry/retry-policy.js';
import { fromCoreError, toCoreError } from './core-error.js';
import { SKIP_TOKEN_REFRESH, TRANSIENT_RETRY } from './request-context.js';
import { INTERCEPTOR_USAGE, TOKEN_REFRESH_OPTIONS, TOKEN_REQUEST_PIPELINE } from './token-refresh-options.js';

const MISSING_PROVIDER =
  'tokenRefreshInterceptor needs provideTokenRefresh({ allowedOrigins, sessionConfig }) (or { allowedOrigins, session }) ' +
  'in the same or a parent environment injector, e.g. next to provideHttpClient(withInterceptors([tokenRefreshInterceptor])); ' +
  'without it, it cannot tell which requests must carry a token';

/**
 * Runs Angular's requests through the {@link TOKEN_SESSION} of {@link provideTokenRefresh}, on
 * the same request path as `createHttpClient`. A request to an allowed origin gets
 * `Authorization: Bearer <token>` (after a refresh first, when the token expires within the
 * session's skew); on a token rejection (401 whose `WWW-Authenticate` names no error or
 * `invalid_token`, from an allowed origin) it waits for the session's one refresh of that
 * generation and is sent once more: at most once per request, whatever transient retries it
 * makes. 403 and other 401 challenges never refresh. Idempotent requests are retried on
 * transient errors (status 0, 408, 429, 5xx) with backoff, honouring `Retry-After`; see
 * {@link TRANSIENT_RETRY}. The `timeout` of `provideTokenRefresh` bounds the whole request.
 *
 * Left untouched: requests to other origins, requests that carry their own `Authorization`
 * header, and requests with {@link SKIP_TOKEN_REFRESH}.
 *
 * Without {@link provideTokenRefresh} in its injector or a parent, every request it does not
 * leave untouched by the two last rules fails with a TypeError naming `provideTokenRefresh(...)`:
 * the allowed origins come from there, so no request can be judged safe to send without it. A
 * {@link TRANSIENT_RETRY} that is no `RetryOption` fails its request with a TypeError (or a
 * RangeError for a count like 1.5), before anything is sent.
 *
 * Errors: HTTP failures stay Angular's `HttpErrorResponse`; when the session cannot give a token
 * the request fails with the session's own error instead, unwrapped: `TokenRevokedError`
 * (terminal, until new tokens are set) or `TokenRefreshError`; a request out of time fails with
 * `RequestTimeoutError`. Unsubscribing aborts the request and any backoff wait, never a refresh
 * that others may be waiting for.
 *
 * Interceptors listed before it see each call once; those after it see every attempt, with the
 * token.
 *
 * @example
 * provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor]))
 */
export const tokenRefreshInterceptor: HttpInterceptorFn = (req, next) => {
  const usage = inject(INTERCEPTOR_USAGE, { optional: true });
  if (usage) usage.ran = true;
  if (req.context.get(SKIP_TOKEN_REFRESH) || req.headers.has('Authorization')) return next(req);
  const options = inject(TOKEN_REFRESH_OPTIONS, { optional: true });
  // Fails closed: which requests get a token is provideTokenRefresh's `allowedOrigins`, so without
  // it no request can be told apart from one that needs a token. Sending them on would turn a
  // setup mistake into 401s far from their cause.
  if (!options) return throwError(() => new TypeError(MISSING_PROVIDER));
  const url = resolveUrl(req.url, inject(DOCUMENT, { optional: true }));
  if (url === undefined || !options.allowList.allows(url.href)) return next(req);

  let retry: RetryBackoffConfig | undefined;
  try {
    retry = transientRetry(req, options.retry);
  } catch (error) {
    return throwError(() => error); // a TRANSIENT_RETRY that is no RetryOption: a TypeError or RangeError
  }
  const request: OutgoingRequest = { method: req.method, url: url.href, auth: true, retry, timeout: options.timeout, attemptTimeout: false };
  // The adapter: Angular's request with the header, Angular's errors as the core's and back. A
  // response fetched with the user's token never goes into the server render's transfer state
  // (Angular 17 caches it there, and the page may reach someone else through a shared cache).
  const send = (authorization: string | null, headers?: Readonly<Record<string, string>>): Observable<HttpEvent<unknown>> =>
    next(authorization === null ? req : req.clone({ setHeaders: { ...headers, Authorization: authorization }, transferCache: false })).pipe(
      catchError((error: unknown) => throwError(() => toCoreError(error, req.method, url.href))),
    );
  return inject(TOKEN_REQUEST_PIPELINE)(request, send).pipe(catchError((error: unknown) => throwError(() => fromCoreError(error))));
};

function transientRetry(req: HttpRequest<unknown>, defaults: RetryBackoffConfig): RetryBackoffConfig | undefined {
  const own = req.context.get(TRANSIENT_RETRY);
  if (own === undefined && !mayRetryTransient(req.method, req.headers.has('Idempotency-Key'))) return undefined;
  const retry = own === undefined ? defaults : mergeRetry(defaults, own, 'TRANSIENT_RETRY');
  return retry.maxRetries === 0 ? undefined : retry;
}

// The request's URL, against the document's base URL when it is relative. The server renderer's
// DOM (domino) throws from `baseURI` (NotYetImplemented): there a relative URL cannot be
// resolved, and gets no token; an absolute one needs no base.
function resolveUrl(url: string, document: Document | null): URL | undefined {
  try {
    return new URL(url);
  } catch {
    try {
      return new URL(url, document?.baseURI);
    } catch {
      return undefined;
    }
  }
}
