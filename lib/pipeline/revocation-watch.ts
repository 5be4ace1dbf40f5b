import { Subscription, type Observable } from 'rxjs';

/**
 * Calls `stop` on the session's next revocation (at once when it is revoked already, as
 * `revoked$` emits then), until the function returned is called.
 */
export type RevocationWatch = (stop: () => void) => () => void;

/**
 * The requests in flight of one pipeline that stop when the session is revoked. While any is in
 * flight the pipeline holds ONE subscription to `revoked$` and calls each request's `stop` on a
 * revocation; a request joins and leaves a Set. One subscription per request instead made each
 * request that ends scan the session's array of all the others (rxjs `Subject`), at every
 * concurrency the pipeline serves.
 */
export function revocationWatch(revoked$: Observable<void>): RevocationWatch {
  const stops = new Set<() => void>();
  let shared: Subscription | undefined;
  let revoking = false;
  const revoke = (): void => {
    revoking = true;
    try {
      stops.forEach((stop) => stop());
    } finally {
      revoking = false;
    }
  };
  return (stop) => {
    if (revoking) {
      // Started by a handler of this revocation: its own subscription asks the session anew
      // (revoked still, or signed in again meanwhile), as the shared one will not emit again.
      const own = revoked$.subscribe(stop);
      return () => own.unsubscribe();
    }
    stops.add(stop);
    if (stops.size === 1) {
      // Added after subscribing: a revocation emitted synchronously may have closed `shared`
      // already, and a closed Subscription unsubscribes what is added to it at once.
      (shared = new Subscription()).add(revoked$.subscribe(revoke));
    }
    return () => {
      if (stops.delete(stop) && stops.size === 0) shared?.unsubscribe();
    };
  };
}
