import { catchError, switchMap, throwError, type Observable } from 'rxjs';
import type { TokenAccess } from '../session/token-access.js';
import { isTokenRejection } from './is-token-rejection.js';

/** Options of {@link authorize}. */
export interface AuthorizeConfig {
  /** Which errors mean the token was rejected. @default isTokenRejection */
  readonly isRejection?: (error: unknown) => boolean;
  /**
   * Whether a rejection may still be answered with a fresh token. The request pipeline uses it to
   * give a request ONE such retry across all its transient retries (DESIGN rule 7).
   * @default once per subscription
   */
  readonly mayRetry?: () => boolean;
  /** Called just before the request is sent again with a fresh token. */
  readonly onRetry?: () => void;
}

/**
 * The auth step on its own, for any transport: calls `send` with the session's access token
 * (`null` when signed out), and when the token is rejected, waits for the session's one refresh
 * of that generation and calls `send` once more. A second rejection is the caller's error: no
 * 401 loop. `send` must return a cold observable, since it may be subscribed twice.
 *
 * @example
 * authorize(session, (token) => ajax({ url, headers: token ? { Authorization: `Bearer ${token}` } : {} }), {
 *   isRejection: (e) => e instanceof AjaxError && e.status === 401,
 * })
 */
export function authorize<T>(access: TokenAccess, send: (accessToken: string | null) => Observable<T>, config: AuthorizeConfig = {}): Observable<T> {
  const isRejection = config.isRejection ?? isTokenRejection;
  const mayRetry = config.mayRetry ?? (() => true);
  return access.currentToken().pipe(
    switchMap((current) =>
      send(current.accessToken).pipe(
        catchError((error: unknown) => {
          if (current.accessToken === null || !isRejection(error) || !mayRetry()) return throwError(() => error);
          return access.tokenAfterRejection(current.generation).pipe(
            switchMap((next) => {
              // Signed out meanwhile, or nothing to refresh with: the 401 stands.
              if (next.accessToken === null) return throwError(() => error);
              config.onRetry?.();
              return send(next.accessToken);
            }),
          );
        }),
      ),
    ),
  );
}
