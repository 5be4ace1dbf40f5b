import { Observable, asyncScheduler, identity, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Unsubscribable } from 'rxjs';
import { RequestTimeoutError } from '../errors/request-error.js';

/**
 * Fails with a {@link RequestTimeoutError} when the source has not completed within `limit` ms,
 * and unsubscribes from it (which aborts a fetch, cancels a backoff wait and leaves a refresh
 * that others share running, rule 13). One deadline for whatever the source does meanwhile,
 * however many values it emits (Angular's event streams emit several); `false` is none. Time
 * comes from `scheduler`, so a `TestScheduler` drives it in marble tests.
 *
 * `takeUntil(timer(limit, scheduler))` written out: one subscriber and one scheduled action
 * per request instead of five objects, a profile's worth with 64 requests in flight (see
 * bench/analysis.md, "The request path as RxJS composition"). On the default `asyncScheduler` the
 * action is a plain `setTimeout` with no closure: rxjs's `AsyncAction` arms a `setInterval` and keeps an action
 * object alive per request meanwhile (bench/analysis.md, "Issue 22, R5").
 */
export function requestDeadline<T>(limit: number | false, method: string, url: string, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  if (limit === false) return identity;
  return (source) =>
    new Observable<T>((subscriber) => {
      subscriber.add(scheduler === asyncScheduler ? new Timer(subscriber, method, url, limit) : scheduler.schedule(() => fail(subscriber, method, url, limit), limit));
      if (!subscriber.closed) subscriber.add(source.subscribe(subscriber));
    });
}

function fail(subscriber: Subscriber<unknown>, method: string, url: string, limit: number): void {
  subscriber.error(new RequestTimeoutError(method, url, limit));
}

// The scheduled action on the default scheduler: one `setTimeout` that calls `fail` with its
// arguments, and no closure kept per request while it waits.
class Timer implements Unsubscribable {
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(subscriber: Subscriber<unknown>, method: string, url: string, limit: number) {
    this.#timer = setTimeout(fail, limit, subscriber, method, url, limit);
  }

  unsubscribe(): void {
    clearTimeout(this.#timer);
  }
}
