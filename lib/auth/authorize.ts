import { Observable, Subscription, switchMap, throwError, type Subscriber } from 'rxjs';
import type { CurrentToken, TokenAccess } from '../session/token-access.js';
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
  // The hot path is one subscriber: the token (at once when the session can say it without a
  // wait), then one send; operators only after a rejection.
  return new Observable<T>((subscriber) => {
    const subscription = new Subscription();
    const sendWith = (current: CurrentToken): void => {
      subscription.add(
        sendSafely(send, current.accessToken).subscribe({
          next: (value) => subscriber.next(value),
          error(error: unknown) {
            if (current.accessToken === null || !isRejection(error) || !mayRetry()) return subscriber.error(error);
            subscription.add(afterRejection(access, send, current.generation, error, config.onRetry).subscribe(subscriber));
          },
          complete: () => subscriber.complete(),
        }),
      );
    };
    const now = access.tokenNow?.();
    if (now) sendWith(now);
    else subscription.add(firstToken(access, subscriber, sendWith));
    return subscription;
  });
}

// Waits for the session's token (a refresh or the store's first read), then sends once.
function firstToken(access: TokenAccess, subscriber: Subscriber<unknown>, sendWith: (current: CurrentToken) => void): Subscription {
  let sent = false;
  return access.currentToken().subscribe({
    next(current) {
      if (sent) return;
      sent = true;
      sendWith(current);
    },
    error: (error: unknown) => subscriber.error(error),
    complete() {
      if (!sent) subscriber.complete();
    },
  });
}

// After a rejection of the token of `generation`: the one refresh of it, then `send` once more.
function afterRejection<T>(access: TokenAccess, send: (accessToken: string | null) => Observable<T>, generation: number, rejection: unknown, onRetry?: () => void): Observable<T> {
  return access.tokenAfterRejection(generation).pipe(
    switchMap((next) => {
      // Signed out meanwhile, or nothing to refresh with: the 401 stands.
      if (next.accessToken === null) return throwError(() => rejection);
      onRetry?.();
      return sendSafely(send, next.accessToken);
    }),
  );
}

// `send` may throw (a header it cannot build): that is the request's error, not an uncaught one.
function sendSafely<T>(send: (accessToken: string | null) => Observable<T>, accessToken: string | null): Observable<T> {
  try {
    return send(accessToken);
  } catch (error) {
    return throwError(() => error);
  }
}
