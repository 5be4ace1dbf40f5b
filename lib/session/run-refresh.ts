import { defer, map, take, throwError, throwIfEmpty, timeout, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { isTransientError } from '../retry/is-transient-error.js';
import { retryBackoff, type RetryBackoffConfig } from '../retry/retry-backoff.js';
import { normalizeTokenSet } from './normalize-token-set.js';
import type { TokenSet } from './token-set.js';

/** What one refresh needs from the session's config. */
export interface RunRefreshConfig {
  readonly refresh: (refreshToken: string) => ObservableInput<TokenSet>;
  readonly refreshTimeout: number;
  readonly refreshRetry: Omit<RetryBackoffConfig, 'scheduler' | 'shouldRetry'> | undefined;
  readonly scheduler: SchedulerLike;
}

/**
 * One refresh of `tokens`: calls the refresh function with a per-attempt timeout, retries
 * transient failures with backoff, and emits the checked new token set (keeping the old refresh
 * token when none came back). Fails with a non-transient {@link TokenRefreshError} when there is
 * no refresh token or the answer is malformed; other failures pass through for the caller.
 */
export function runRefresh(tokens: TokenSet | null, config: RunRefreshConfig): Observable<TokenSet> {
  const refreshToken = tokens?.refreshToken;
  if (refreshToken === undefined) {
    return throwError(() => new TokenRefreshError('The session has no refresh token', { reason: 'no-refresh-token' }));
  }
  const { refreshTimeout, scheduler } = config;
  return defer(() => config.refresh(refreshToken)).pipe(
    take(1),
    throwIfEmpty(() => new TokenRefreshError('The refresh function completed without a token set', { reason: 'invalid-response' })),
    timeout({ first: refreshTimeout, with: () => throwError(() => new RequestTimeoutError('POST', 'the token endpoint', refreshTimeout)), scheduler }),
    map((value) => {
      const next = normalizeTokenSet(value, refreshToken);
      if (typeof next === 'string') throw new TokenRefreshError(`The token response is malformed: ${next}`, { reason: 'invalid-response' });
      return next;
    }),
    retryBackoff({ ...config.refreshRetry, shouldRetry: isTransientError, scheduler }),
  );
}

/** The error every waiter of a failed refresh receives: a {@link TokenRefreshError} keeping the cause. */
export function toRefreshFailure(error: unknown): TokenRefreshError {
  if (error instanceof TokenRefreshError) return error;
  const transient = isTransientError(error);
  const reason = error instanceof Error ? error.message : String(error);
  return new TokenRefreshError(`Token refresh failed${transient ? ' after retries' : ''}: ${reason}`, { reason: transient ? 'network' : 'refresh-function', transient, cause: error });
}
