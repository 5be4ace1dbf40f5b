import { Subscription, type Observable } from 'rxjs';
import type { Revocable, RevocationWatch, TokenAccess } from '../session/token-access.js';

export type { Revocable, RevocationWatch } from '../session/token-access.js';

/**
 * The watch of a pipeline whose session has no `revocations` of its own (a
 * {@link TokenAccess} of an app's making).
 * While any request is in flight the pipeline holds ONE subscription to `revoked$` and calls
 * each request's `revoke` on a revocation; a request joins and leaves a Set. One subscription
 * per request instead made each request that ends scan the session's array of all the others
 * (rxjs `Subject`), at every concurrency the pipeline serves.
 */
export function revocationWatch(revoked$: Observable<void>): RevocationWatch {
  const watched = new Set<Revocable>();
  // Requests started by a handler of a revocation, each with a subscription of its own.
  const own = new Map<Revocable, Subscription>();
  let shared: Subscription | undefined;
  let revoking = false;
  const revoke = (): void => {
    revoking = true;
    try {
      watched.forEach((request) => request.revoke());
    } finally {
      revoking = false;
    }
  };
  return {
    add(request) {
      if (revoking) {
        // Its own subscription asks the session anew (revoked still, or signed in again
        // meanwhile), as the shared one will not emit again.
        const subscription = new Subscription();
        own.set(request, subscription);
        subscription.add(revoked$.subscribe(() => request.revoke()));
        return;
      }
      watched.add(request);
      if (watched.size === 1) {
        // Added after subscribing: a revocation emitted synchronously may have closed `shared`
        // already, and a closed Subscription unsubscribes what is added to it at once.
        (shared = new Subscription()).add(revoked$.subscribe(revoke));
      }
    },
    remove(request) {
      const subscription = own.size > 0 ? own.get(request) : undefined;
      if (subscription) {
        own.delete(request);
        subscription.unsubscribe();
      } else if (watched.delete(request) && watched.size === 0) shared?.unsubscribe();
    },
  };
}
