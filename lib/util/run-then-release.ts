import { defer, type Observable, type Subscriber, type Subscription } from 'rxjs';

/**
 * What a refresh lock does once it is granted: runs `task` (a throw from it is the task's
 * error), forwards what it emits to `subscriber`, and when it ends, `release`s the lock before
 * forwarding the end, so the next waiter starts as early as it can (the task has written its
 * result by then). The lock's teardown unsubscribes the returned subscription and releases
 * too, so `release` must be safe to call twice. The one "run, then release" of every lock: the
 * in-memory mutex, the tabs' Web Lock and the Redis lock.
 */
export function runThenRelease<T>(task: () => Observable<T>, subscriber: Subscriber<T>, release: () => void): Subscription {
  return defer(task).subscribe({
    next: (value) => subscriber.next(value),
    error: (error: unknown) => {
      release();
      subscriber.error(error);
    },
    complete: () => {
      release();
      subscriber.complete();
    },
  });
}
