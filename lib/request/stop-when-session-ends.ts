import { Observable, Subscription, type MonoTypeOperatorFunction, type Subscriber } from 'rxjs';
import { TokenRevokedError } from '../errors/token-revoked-error.js';

/**
 * Fails with a {@link TokenRevokedError} when `sessionEnd$` emits (the session was revoked, here
 * or in another member sharing its store), and unsubscribes from the source: a request in flight
 * stops at once, mid-flight too, instead of finishing on a dead session (rule 6). `sessionEnd$`
 * is `TokenAccess.revoked$`, which emits at once for a session revoked already: the source is
 * then never subscribed. The error is the one `sessionEnd$` emits (a machine session's names the
 * refused client), or a plain `TokenRevokedError` when it emits none.
 *
 * Built once per pipeline, it is `takeUntil(sessionEnd$.pipe(share()))` written out: the sources
 * in flight share ONE subscription to `sessionEnd$`, held while any of them runs, and are stopped
 * in the order they started. One subscription per request made each request that ends scan the
 * session's array of all the others. `share()` itself is not enough: a request started by a
 * handler of the end being delivered joins after the shared emission and would never stop, so
 * such a request asks `sessionEnd$` on its own (ended still, or signed in again meanwhile). See
 * bench/analysis.md, "Issue 22, R5".
 */
export function stopWhenSessionEnds<T>(sessionEnd$: Observable<TokenRevokedError | void>): MonoTypeOperatorFunction<T> {
  const inFlight = new Set<Subscriber<never>>();
  let watch: Subscription | undefined;
  let ending = false;
  const end = (error: TokenRevokedError | void): void => {
    ending = true;
    try {
      // A source that a stop before it ended has left the set and is skipped.
      for (const subscriber of inFlight) subscriber.error(error ?? new TokenRevokedError());
    } finally {
      ending = false;
    }
  };
  const leave = (subscriber: Subscriber<never>): void => {
    if (inFlight.delete(subscriber) && inFlight.size === 0) watch?.unsubscribe();
  };
  return (source) =>
    new Observable<T>((subscriber) => {
      if (ending) {
        subscriber.add(sessionEnd$.subscribe((error) => subscriber.error(error ?? new TokenRevokedError())));
      } else {
        inFlight.add(subscriber);
        subscriber.add(() => leave(subscriber));
        if (inFlight.size === 1) {
          // Assigned before subscribing: an end emitted synchronously closes it, and a closed
          // Subscription unsubscribes what is added to it at once.
          const shared = (watch = new Subscription());
          shared.add(sessionEnd$.subscribe(end));
        }
      }
      if (!subscriber.closed) subscriber.add(source.subscribe(subscriber));
    });
}
