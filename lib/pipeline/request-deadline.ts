import { Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';

/**
 * Fails with a {@link RequestTimeoutError} when the source has not completed within `limit` ms,
 * and unsubscribes from it (which aborts a fetch, cancels a backoff wait and leaves a refresh
 * that others share running). One timer for whatever the source does meanwhile, however many
 * values it emits (Angular's event streams emit several); `false` is none.
 */
export function requestDeadline<T>(limit: number | false, method: string, url: string, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  if (limit === false) return (source) => source;
  return (source) =>
    new Observable<T>((subscriber) => {
      const timer = scheduler.schedule(() => subscriber.error(new RequestTimeoutError(method, url, limit)), limit);
      const subscription = source.subscribe(subscriber);
      return () => {
        timer.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
