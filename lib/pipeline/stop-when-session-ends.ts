import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { TokenRevokedError } from '../errors/token-revoked-error.js';

/**
 * Fails with a {@link TokenRevokedError} when `sessionEnd$` emits (the session was revoked, here
 * or in another member sharing its store), and unsubscribes from the source: a request in flight
 * stops at once, mid-flight too, instead of finishing on a dead session (rule 6). `sessionEnd$`
 * is `TokenAccess.revoked$`, which emits at once for a session revoked already: the source is
 * then never subscribed.
 *
 * `takeUntil(sessionEnd$)` written out, with no subscriber between the request and its source
 * (see bench/analysis.md, "The request path as RxJS composition").
 */
export function stopWhenSessionEnds<T>(sessionEnd$: Observable<void>): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      subscriber.add(sessionEnd$.subscribe(() => subscriber.error(new TokenRevokedError())));
      if (!subscriber.closed) subscriber.add(source.subscribe(subscriber));
    });
}
