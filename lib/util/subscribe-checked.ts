import { throwError, type Observable, type Observer, type Subscription } from 'rxjs';

/**
 * Subscribes `source` for `observer`, passing each value through `check` first. A throw of
 * `check` (a failing status in a response) is the error: it unsubscribes `source` and nothing of
 * it reaches `observer` after. One subscriber where `map` would add an observable and another.
 */
export function subscribeChecked<R, T>(source: Observable<R>, check: (value: R) => T, observer: Observer<T>): Subscription {
  const checked = new Checked(check, observer);
  return checked.subscribeTo(source);
}

// The observer of subscribeChecked, as one object rather than three closures per attempt.
class Checked<R, T> implements Observer<R> {
  #failed = false;
  #subscription: Subscription | undefined;
  readonly #check: (value: R) => T;
  readonly #observer: Observer<T>;

  constructor(check: (value: R) => T, observer: Observer<T>) {
    this.#check = check;
    this.#observer = observer;
  }

  subscribeTo(source: Observable<R>): Subscription {
    const subscription = source.subscribe(this);
    // A synchronous source failed its check inside `subscribe`, before `subscription` was known.
    if (this.#failed) subscription.unsubscribe();
    else this.#subscription = subscription;
    return subscription;
  }

  next(value: R): void {
    if (this.#failed) return;
    let checked: T;
    try {
      checked = this.#check(value);
    } catch (error) {
      this.#failed = true;
      this.#subscription?.unsubscribe();
      return this.#observer.error(error);
    }
    this.#observer.next(checked);
  }

  error(error: unknown): void {
    if (!this.#failed) this.#observer.error(error);
  }

  complete(): void {
    if (!this.#failed) this.#observer.complete();
  }
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
