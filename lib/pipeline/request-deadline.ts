import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';

/**
 * Fails with a {@link RequestTimeoutError} when the source has not completed within `limit` ms,
 * and unsubscribes from it (which aborts a fetch, cancels a backoff wait and leaves a refresh
 * that others share running). One deadline for whatever the source does meanwhile, however many
 * values it emits (Angular's event streams emit several); `false` is none.
 *
 * The deadlines of all requests with the same `limit` on the same `scheduler` share ONE timer
 * (see {@link deadlineQueue}): arming and clearing a timer per request was a tenth of the
 * pipeline's own CPU in the benchmark profile. Time still comes from `scheduler` alone, so a
 * `TestScheduler` drives it in marble tests.
 */
export function requestDeadline<T>(limit: number | false, method: string, url: string, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  if (limit === false) return (source) => source;
  return (source) =>
    new Observable<T>((subscriber) => {
      const deadline = startDeadline(scheduler, limit, () => subscriber.error(new RequestTimeoutError(method, url, limit)));
      const subscription = source.subscribe(subscriber);
      return () => {
        deadline.cancel();
        subscription.unsubscribe();
      };
    });
}

/** Calls `fire` in `limit` ms on `scheduler` unless cancelled first: the deadline of {@link requestDeadline}. */
export function startDeadline(scheduler: SchedulerLike, limit: number, fire: () => void): { cancel(): void } {
  return deadlineQueue(scheduler, limit)(fire);
}

interface Deadline {
  readonly due: number;
  fire: (() => void) | null;
  prev: Deadline | null;
  next: Deadline | null;
  cancel(): void;
}

/**
 * Pending deadlines of one `limit` on one scheduler, in a linked list in the order they were
 * added: with the same limit and a clock that does not go back, that is the order they fall due,
 * so only the head needs a timer. A cancelled deadline leaves the list at once (the memory it
 * holds is that of the requests in flight); when the head leaves, the timer stays armed for its
 * time and, on waking, re-arms for the new head. With nothing pending the timer no longer holds
 * the process open: on the default `asyncScheduler` it is the platform's `setTimeout` (looked up
 * when armed, so fake timers see it), kept armed but unref'd, so a request at a time does not arm
 * and clear a timer each; on any other scheduler (a `TestScheduler`) it is disarmed, so a
 * virtual-time flush ends.
 */
function createDeadlineQueue(scheduler: SchedulerLike, limit: number): (fire: () => void) => Deadline {
  const native = scheduler === asyncScheduler;
  let head: Deadline | null = null;
  let tail: Deadline | null = null;
  let expiring = false;
  // The one timer: a Node/browser timer (native) or a scheduled action; `held` while deadlines are pending.
  let timer: { unsubscribe(): void } | ReturnType<typeof setTimeout> | null = null;
  let held = false;

  const wake = () => {
    timer = null;
    held = false;
    expiring = true;
    try {
      const now = scheduler.now();
      for (let entry = head; entry !== null && entry.due <= now; entry = head) {
        const fire = entry.fire;
        remove(entry);
        fire?.();
      }
    } finally {
      expiring = false;
      if (head) busy(head.due - scheduler.now());
    }
  };
  const busy = (delay: number) => {
    if (timer === null) {
      timer = native ? globalThis.setTimeout(wake, Math.max(0, delay)) : scheduler.schedule(wake, Math.max(0, delay));
    } else if (!held) (timer as { ref?: () => void }).ref?.();
    held = true;
  };
  const remove = (entry: Deadline) => {
    entry.fire = null;
    if (entry.prev) entry.prev.next = entry.next;
    else head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else tail = entry.prev;
    entry.prev = entry.next = null;
    if (head === null && timer !== null && held) {
      held = false;
      if (native) (timer as { unref?: () => void }).unref?.();
      else {
        (timer as { unsubscribe(): void }).unsubscribe();
        timer = null;
      }
    }
  };

  return (fire) => {
    const entry: Deadline = {
      due: scheduler.now() + limit,
      fire,
      prev: tail,
      next: null,
      cancel: () => entry.fire !== null && remove(entry),
    };
    if (tail) tail.next = entry;
    else head = entry;
    tail = entry;
    if (!expiring) busy(limit);
    return entry;
  };
}

const queues = new WeakMap<SchedulerLike, Map<number, (fire: () => void) => Deadline>>();

/** Adds a deadline to the shared queue of `limit` on `scheduler`. */
function deadlineQueue(scheduler: SchedulerLike, limit: number): (fire: () => void) => Deadline {
  let byLimit = queues.get(scheduler);
  if (!byLimit) queues.set(scheduler, (byLimit = new Map()));
  let queue = byLimit.get(limit);
  if (!queue) byLimit.set(limit, (queue = createDeadlineQueue(scheduler, limit)));
  return queue;
}
