import { Observable, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

/**
 * Lets the source outlive its subscriber: an unsubscribe while `holds()` is true detaches the
 * source instead of cutting it, and it runs on, unheard, until it ends or `bound` ms have passed.
 * A refresh uses it so that a deadline or a sign-out never cuts the store write of a refresh token
 * already spent while it holds the lock.
 */
export function outlive<T>(holds: () => boolean, bound: number, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const inner = source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        if (inner.closed || !holds()) return inner.unsubscribe();
        inner.add(timer(bound, scheduler).subscribe(() => inner.unsubscribe()));
      };
    });
}
