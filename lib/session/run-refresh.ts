import { defer, map, take, throwError, throwIfEmpty, timeout, type Observable } from 'rxjs';
import { HttpError } from '../errors/http-error.js';
import { NetworkError } from '../errors/network-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { TokenRefreshError, type TokenRefreshFailure } from '../errors/token-refresh-error.js';
import { isTransientError } from '../retry/is-transient-error.js';
import { retryChecked } from '../retry/retry-backoff.js';
import { normalizeTokenSet } from './normalize-token-set.js';
import type { ResolvedSessionConfig } from './session-config.js';
import type { TokenSet } from './token-set.js';

/**
 * One refresh with `refreshToken`: calls the refresh function with a per-attempt timeout,
 * retries transient failures with backoff, and emits the checked new token set (keeping the old
 * refresh token when none came back). A malformed answer is a non-transient
 * {@link TokenRefreshError}; other failures pass through for the flight to classify. Once
 * `mayRetry()` is false (nobody listens any more), a failed attempt is not tried again.
 */
export function runRefresh(refreshToken: string, config: ResolvedSessionConfig, mayRetry: () => boolean = () => true): Observable<TokenSet> {
  const { refresh, refreshTimeout, scheduler } = config;
  const where = refresh.endpoint ?? 'the refresh function';
  return defer(() => refresh(refreshToken)).pipe(
    take(1),
    throwIfEmpty(() => new TokenRefreshError('The refresh function completed without a token set', { reason: 'invalid-response' })),
    timeout({ first: refreshTimeout, with: () => throwError(() => new RequestTimeoutError('POST', where, refreshTimeout)), scheduler }),
    map((value) => {
      const next = normalizeTokenSet(value, scheduler.now(), refreshToken);
      if (typeof next !== 'string') return next;
      throw new TokenRefreshError(`The token response is malformed: ${next}`, { reason: 'invalid-response' });
    }),
    // refreshRetry was checked with the session's config.
    retryChecked({ ...config.refreshRetry, shouldRetry: (error) => mayRetry() && isTransientError(error), scheduler }),
  );
}

/** A token store or refresh lock failed or did not answer: the flight reports reason `shared-state`. */
export class SharedStateFailure extends Error {
  override readonly name = 'SharedStateFailure';
}

/** The error every waiter of a failed refresh receives: a {@link TokenRefreshError} keeping the cause. */
export function toRefreshFailure(error: unknown): TokenRefreshError {
  if (error instanceof TokenRefreshError) return error;
  const reason = failureReason(error);
  const transient = reason !== 'refresh-function';
  const detail = error instanceof Error ? error.message : String(error);
  return new TokenRefreshError(`Token refresh failed${transient ? ' after retries' : ''}: ${detail}`, { reason, cause: error });
}

function failureReason(error: unknown): TokenRefreshFailure {
  if (error instanceof SharedStateFailure) return 'shared-state';
  if (error instanceof NetworkError) return 'network';
  if (error instanceof RequestTimeoutError) return 'timeout';
  if (error instanceof HttpError && isTransientError(error)) return 'server-error';
  return 'refresh-function';
}
