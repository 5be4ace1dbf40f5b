import { identity, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { RequestError } from '../errors/request-error.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { retryBackoff, type RetryBackoffConfig } from '../retry/retry-backoff.js';
import { isTransientError } from '../retry/is-transient-error.js';
import type { TokenAccess } from '../session/token-access.js';

/** The transient retry of one request's config: an operator. */
export type RetryTransient = <T>(config: RetryBackoffConfig | undefined) => MonoTypeOperatorFunction<T>;

/**
 * {@link retryBackoff} for the requests of one pipeline (rules 6, 8): `config` is the request's,
 * already merged and checked for idempotency (`undefined` or `maxRetries: 0` for none). Each
 * retry is a `request-retried` event through `access.report`; the waits run on the config's
 * scheduler, else the pipeline's. A request that the sign-in pin refused (rule 18) is never
 * retried, whatever a custom `shouldRetry` says. One operator per config object: the requests
 * that keep the client's config share it (retryBackoff checks a config once, when built).
 */
export function retryTransient(access: TokenAccess | undefined, scheduler: SchedulerLike): RetryTransient {
  const built = new WeakMap<RetryBackoffConfig, MonoTypeOperatorFunction<unknown>>();
  return <T>(config: RetryBackoffConfig | undefined): MonoTypeOperatorFunction<T> => {
    if (config === undefined || config.maxRetries === 0) return identity;
    let operator = built.get(config);
    if (!operator) {
      const { shouldRetry = isTransientError, onRetry } = config;
      operator = retryBackoff({
        ...config,
        scheduler: config.scheduler ?? scheduler,
        shouldRetry: (error, attempt) => !(error instanceof TokenRefreshError && error.reason === 'sign-in-changed') && shouldRetry(error, attempt),
        onRetry: (error, attempt, delay) => {
          onRetry?.(error, attempt, delay);
          // The event takes its method and URL from the error it retries.
          if (access && error instanceof RequestError) access.report({ type: 'request-retried', method: error.method, url: error.url, reason: 'transient', attempt });
        },
      });
      built.set(config, operator);
    }
    return operator as MonoTypeOperatorFunction<T>;
  };
}
