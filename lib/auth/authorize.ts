import { Observable, Subscription, switchMap, throwError, type Observer } from 'rxjs';
import { callSafely, passThrough, subscribeChecked } from '../util/subscribe-checked.js';
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
  return new Observable<T>((subscriber) => {
    const subscription = new Subscription();
    authorizeInto(access, send, passThrough, config, subscriber, subscription);
    return subscription;
  });
}

/**
 * {@link authorize} without an observable of its own, for the request pipeline: sends for
 * `observer`, each response through `check` (a failing status becomes the error a rejection is
 * recognised in), and puts every subscription into `subscription`. The hot path is one
 * subscriber: the token (at once when the session can say it without a wait), then one send;
 * operators only after a rejection.
 */
export function authorizeInto<R, T>(
  access: TokenAccess,
  send: (accessToken: string | null) => Observable<R>,
  check: (response: R) => T,
  config: AuthorizeConfig,
  observer: Observer<T>,
  subscription: Subscription,
): void {
  const isRejection = config.isRejection ?? isTokenRejection;
  const sendWith = (current: CurrentToken): void => {
    subscription.add(
      subscribeChecked(callSafely(send, current.accessToken), check, {
        next: (value) => observer.next(value),
        error(error: unknown) {
          if (current.accessToken === null || !isRejection(error) || (config.mayRetry && !config.mayRetry())) return observer.error(error);
          subscription.add(subscribeChecked(afterRejection(access, send, current.generation, error, config.onRetry), check, observer));
        },
        complete: () => observer.complete(),
      }),
    );
  };
  const now = access.tokenNow?.();
  if (now) sendWith(now);
  else subscription.add(firstToken(access, observer, sendWith));
}

// Waits for the session's token (a refresh or the store's first read), then sends once.
function firstToken<T>(access: TokenAccess, observer: Observer<T>, sendWith: (current: CurrentToken) => void): Subscription {
  let sent = false;
  return access.currentToken().subscribe({
    next(current) {
      if (sent) return;
      sent = true;
      sendWith(current);
    },
    error: (error: unknown) => observer.error(error),
    complete() {
      if (!sent) observer.complete();
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
      return callSafely(send, next.accessToken);
    }),
  );
}
