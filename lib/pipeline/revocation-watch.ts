import { Subscription, type Observable } from 'rxjs';

/**
 * The requests in flight of one pipeline that stop when the session is revoked. While any is in
 * flight the pipeline holds ONE subscription to `revoked$` and calls each request's `stop` on a
 * revocation; a request joins and leaves a Set. One subscription per request instead made each
 * request that ends scan the session's array of all the others (rxjs `Subject`), at every
 * concurrency the pipeline serves.
 */
export class RevocationWatch {
  readonly #revoked$: Observable<void>;
  readonly #stops = new Set<() => void>();
  #subscription: Subscription | undefined;
  #revoking = false;

  constructor(revoked$: Observable<void>) {
    this.#revoked$ = revoked$;
  }

  /**
   * Calls `stop` on the session's next revocation (at once when it is revoked already, as
   * `revoked$` emits then), until the function returned is called.
   */
  add(stop: () => void): () => void {
    if (this.#revoking) {
      // Started by a handler of this revocation: its own subscription asks the session anew
      // (revoked still, or signed in again meanwhile), as the shared one will not emit again.
      const own = this.#revoked$.subscribe(stop);
      return () => own.unsubscribe();
    }
    const stops = this.#stops;
    stops.add(stop);
    if (stops.size === 1) {
      const subscription = (this.#subscription = new Subscription());
      // Added after subscribing: a revocation emitted synchronously may have closed it already,
      // and a closed Subscription unsubscribes what is added to it at once.
      subscription.add(this.#revoked$.subscribe(() => this.#revoke()));
    }
    return () => {
      if (stops.delete(stop) && stops.size === 0) {
        this.#subscription?.unsubscribe();
        this.#subscription = undefined;
      }
    };
  }

  #revoke(): void {
    this.#revoking = true;
    try {
      this.#stops.forEach((stop) => stop());
    } finally {
      this.#revoking = false;
    }
  }
}
