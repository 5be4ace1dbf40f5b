import { pipe, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { RequestError } from '../errors/request-error.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { isTransientError } from '../retry/is-transient-error.js';
import { retryChecked, type RetryBackoffConfig, waitForNetwork } from '../retry/retry-backoff.js';
import type { TokenAccess } from '../session/token-access.js';

/**
 * {@link retryBackoff} as the request path runs it (rules 6, 8): `config` is the request's,
 * already merged and checked for idempotency. Each retry is a `request-retried` event through
 * `access.report`; the waits run on the config's scheduler, else `scheduler` (the request path's). A
 * request that the sign-in pin refused (rule 18) is never retried, whatever a custom
 * `shouldRetry` says. `config` was checked where it was given (client, request, Angular options).
 * Offline (`navigator.onLine` false), a NetworkError waits for `online` instead of spending a
 * retry, said on `events$` (`network-waiting`, `network-back`); the request's `timeout` bounds it.
 * Where the runtime has no `navigator.onLine` (Node), that wait could never begin, and a request
 * goes without it: its `retry` is a subscriber and four closures per request in flight (see
 * bench/analysis.md, "Issue 22, R8"). Asked as each request applies the operator, not once per client.
 */
export function retryTransient<T>(config: RetryBackoffConfig, access: TokenAccess | undefined, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  const { shouldRetry = isTransientError, onRetry } = config;
  const retries = retryChecked<T>({
    ...config,
    scheduler: config.scheduler ?? scheduler,
    shouldRetry: (error, attempt) => !(error instanceof TokenRefreshError && error.reason === 'sign-in-changed') && shouldRetry(error, attempt),
    onRetry: (error, attempt, delay) => {
      onRetry?.(error, attempt, delay);
      // The event takes its method and URL from the error it retries.
      if (access && error instanceof RequestError) access.report({ type: 'request-retried', method: error.method, url: error.url, reason: 'transient', attempt });
    },
  });
  const offlineAware = pipe(
    waitForNetwork<T>((type) => access?.report({ type, operation: 'request' })),
    retries,
  );
  return (source) => (typeof (globalThis as { navigator?: { onLine?: unknown } }).navigator?.onLine === 'boolean' ? offlineAware : retries)(source);
}
