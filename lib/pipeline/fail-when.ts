import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Mirrors the source until `signal$` emits, then unsubscribes from it (aborting a fetch or a
 * backoff wait) and fails with `error()`. Unlike `race`, it keeps watching after the source's
 * first value (Angular's event streams emit several).
 */
export function failWhen<T>(signal$: Observable<unknown>, error: () => unknown): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const stop = signal$.subscribe(() => subscriber.error(error()));
      const subscription = subscriber.closed ? undefined : source.subscribe(subscriber);
      return () => {
        stop.unsubscribe();
        subscription?.unsubscribe();
      };
    });
}
