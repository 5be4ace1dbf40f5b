import { Observable, identity, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';

/**
 * Fails with a {@link RequestTimeoutError} when the source has not completed within `limit` ms,
 * and unsubscribes from it (which aborts a fetch, cancels a backoff wait and leaves a refresh
 * that others share running, rule 13). One deadline for whatever the source does meanwhile,
 * however many values it emits (Angular's event streams emit several); `false` is none. Time
 * comes from `scheduler`, so a `TestScheduler` drives it in marble tests.
 *
 * `takeUntil(timer(limit, scheduler))` written out: one subscriber and one scheduled action
 * per request instead of five objects, a profile's worth with 64 requests in flight (see
 * bench/analysis.md, "The request path as RxJS composition").
 */
export function requestDeadline<T>(limit: number | false, method: string, url: string, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  if (limit === false) return identity;
  return (source) =>
    new Observable<T>((subscriber) => {
      subscriber.add(scheduler.schedule(() => subscriber.error(new RequestTimeoutError(method, url, limit)), limit));
      if (!subscriber.closed) subscriber.add(source.subscribe(subscriber));
    });
}
