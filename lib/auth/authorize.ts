import { catchError, switchMap, throwError, type Observable } from 'rxjs';
import type { TokenSession } from '../session/create-token-session.js';
import { isTokenRejection } from './is-token-rejection.js';

/** Options of {@link authorize}. */
export interface AuthorizeConfig {
  /** Which errors mean the token was rejected. @default isTokenRejection */
  readonly isRejection?: (error: unknown) => boolean;
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
export function authorize<T>(session: TokenSession, send: (accessToken: string | null) => Observable<T>, config: AuthorizeConfig = {}): Observable<T> {
  const isRejection = config.isRejection ?? isTokenRejection;
  return session.currentToken().pipe(
    switchMap((grant) =>
      send(grant.accessToken).pipe(
        catchError((error: unknown) => {
          if (grant.accessToken === null || !isRejection(error)) return throwError(() => error);
          return session.tokenAfterRejection(grant.generation).pipe(
            switchMap((next) => {
              // Signed out meanwhile: nothing to retry with, the 401 stands.
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
