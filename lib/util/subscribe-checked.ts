import { throwError, type Observable, type Observer, type Subscription } from 'rxjs';

/**
 * Subscribes `source` for `observer`, passing each value through `check` first. A throw of
 * `check` (a failing status in a response) is the error: it unsubscribes `source` and nothing of
 * it reaches `observer` after. One subscriber where `map` would add an observable and another.
 */
export function subscribeChecked<R, T>(source: Observable<R>, check: (value: R) => T, observer: Observer<T>): Subscription {
  let failed = false;
  let subscription: Subscription | undefined;
  subscription = source.subscribe({
    next(value) {
      if (failed) return;
      let checked: T;
      try {
        checked = check(value);
      } catch (error) {
        failed = true;
        subscription?.unsubscribe();
        return observer.error(error);
      }
      observer.next(checked);
    },
    error: (error: unknown) => failed || observer.error(error),
    complete: () => failed || observer.complete(),
  });
  // A synchronous source failed its check inside `subscribe`, before `subscription` was known.
  if (failed) subscription.unsubscribe();
  return subscription;
}

/** `send(argument)`, with a throw of `send` (a header it cannot build) as the observable's error. */
export function callSafely<A, T>(send: (argument: A) => Observable<T>, argument: A): Observable<T> {
  try {
    return send(argument);
  } catch (error) {
    return throwError(() => error);
  }
}

/** The check that passes every value. */
export const passThrough = <T>(value: T): T => value;
