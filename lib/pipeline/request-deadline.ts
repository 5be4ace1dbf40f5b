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
      const deadline = startDeadline(scheduler, limit, { expire: () => subscriber.error(new RequestTimeoutError(method, url, limit)) });
      const subscription = source.subscribe(subscriber);
      return () => {
        deadline.cancel();
        subscription.unsubscribe();
      };
    });
}

/** What a deadline stops when it falls due. */
export interface DeadlineTarget {
  expire(): void;
}

/** A pending deadline; `cancel()` takes it out (harmless once it fired or was cancelled). */
export interface Deadline {
  cancel(): void;
}

/** Calls `target.expire()` in `limit` ms on `scheduler` unless cancelled first: the deadline of {@link requestDeadline}. */
export function startDeadline(scheduler: SchedulerLike, limit: number, target: DeadlineTarget): Deadline {
  return deadlineQueue(scheduler, limit).add(target);
}

// One object per deadline, its links included: no closure per request.
class Entry implements Deadline {
  readonly due: number;
  target: DeadlineTarget | null;
  prev: Entry | null;
  next: Entry | null = null;
  readonly #queue: DeadlineQueue;

  constructor(queue: DeadlineQueue, due: number, target: DeadlineTarget, prev: Entry | null) {
    this.#queue = queue;
    this.due = due;
    this.target = target;
    this.prev = prev;
  }

  cancel(): void {
    if (this.target !== null) this.#queue.remove(this);
  }
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
class DeadlineQueue {
  readonly #scheduler: SchedulerLike;
  readonly #limit: number;
  readonly #native: boolean;
  #head: Entry | null = null;
  #tail: Entry | null = null;
  #expiring = false;
  // The one timer: a Node/browser timer (native) or a scheduled action; `held` while deadlines are pending.
  #timer: { unsubscribe(): void } | ReturnType<typeof setTimeout> | null = null;
  #held = false;

  constructor(scheduler: SchedulerLike, limit: number) {
    this.#scheduler = scheduler;
    this.#limit = limit;
    this.#native = scheduler === asyncScheduler;
  }

  serves(scheduler: SchedulerLike, limit: number): boolean {
    return this.#scheduler === scheduler && this.#limit === limit;
  }

  add(target: DeadlineTarget): Entry {
    const entry = new Entry(this, this.#scheduler.now() + this.#limit, target, this.#tail);
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    if (!this.#expiring) this.#busy(this.#limit);
    return entry;
  }

  readonly #wake = (): void => {
    this.#timer = null;
    this.#held = false;
    this.#expiring = true;
    try {
      const now = this.#scheduler.now();
      for (let entry = this.#head; entry !== null && entry.due <= now; entry = this.#head) {
        const target = entry.target;
        this.remove(entry);
        target?.expire();
      }
    } finally {
      this.#expiring = false;
      if (this.#head) this.#busy(this.#head.due - this.#scheduler.now());
    }
  };

  #busy(delay: number): void {
    if (this.#timer === null) {
      this.#timer = this.#native ? globalThis.setTimeout(this.#wake, Math.max(0, delay)) : this.#scheduler.schedule(this.#wake, Math.max(0, delay));
    } else if (!this.#held) (this.#timer as { ref?: () => void }).ref?.();
    this.#held = true;
  }

  remove(entry: Entry): void {
    entry.target = null;
    if (entry.prev) entry.prev.next = entry.next;
    else this.#head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    entry.prev = entry.next = null;
    if (this.#head === null && this.#timer !== null && this.#held) this.#idle();
  }

  // Nothing pending: a native timer stays armed but no longer holds the process; a scheduled one goes.
  #idle(): void {
    this.#held = false;
    if (this.#native) (this.#timer as { unref?: () => void }).unref?.();
    else {
      (this.#timer as { unsubscribe(): void }).unsubscribe();
      this.#timer = null;
    }
  }
}

const queues = new WeakMap<SchedulerLike, Map<number, DeadlineQueue>>();
// The queue asked for last: the requests of a client mostly share one limit and one scheduler.
let last: DeadlineQueue | undefined;

/** The shared queue of `limit` on `scheduler`. */
function deadlineQueue(scheduler: SchedulerLike, limit: number): DeadlineQueue {
  if (last?.serves(scheduler, limit)) return last;
  let byLimit = queues.get(scheduler);
  if (!byLimit) queues.set(scheduler, (byLimit = new Map()));
  let queue = byLimit.get(limit);
  if (!queue) byLimit.set(limit, (queue = new DeadlineQueue(scheduler, limit)));
  return (last = queue);
}
