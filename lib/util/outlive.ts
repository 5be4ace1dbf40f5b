import { Observable, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

/**
 * Lets the source outlive its subscriber: on an unsubscribe before the source ended, `detach()`
 * says for how many ms the source may run on, unheard (`undefined`: cut it at once, as usual).
 * A refresh uses it so that a deadline, a sign-out or a dispose never cuts a token call already
 * sent, nor the store write of a refresh token already spent while it holds the lock.
 */
export function outlive<T>(detach: () => number | undefined, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const inner = source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        const bound = inner.closed ? undefined : detach();
        if (bound === undefined) return inner.unsubscribe();
        inner.add(timer(bound, scheduler).subscribe(() => inner.unsubscribe()));
      };
    });
}
