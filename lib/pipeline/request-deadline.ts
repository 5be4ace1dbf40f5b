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
  return deadlineQueue(scheduler, limit).add(fire);
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
 * the process open (see {@link Alarm}), and a virtual-time flush ends.
 */
class DeadlineQueue {
  private head: Deadline | null = null;
  private tail: Deadline | null = null;
  private expiring = false;
  private readonly alarm: Alarm;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly limit: number,
  ) {
    this.alarm = scheduler === asyncScheduler ? nodeAlarm(() => this.expire()) : schedulerAlarm(scheduler, () => this.expire());
  }

  add(fire: () => void): Deadline {
    const queue = this;
    const entry: Deadline = {
      due: this.scheduler.now() + this.limit,
      fire,
      prev: this.tail,
      next: null,
      cancel() {
        if (entry.fire !== null) queue.remove(entry);
      },
    };
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.expiring) this.alarm.busy(this.limit);
    return entry;
  }

  private remove(entry: Deadline): void {
    entry.fire = null;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = null;
    if (this.head === null) this.alarm.idle();
  }

  private expire(): void {
    this.expiring = true;
    try {
      const now = this.scheduler.now();
      for (let entry = this.head; entry !== null && entry.due <= now; entry = this.head) {
        const fire = entry.fire;
        this.remove(entry);
        fire?.();
      }
    } finally {
      this.expiring = false;
      if (this.head) this.alarm.busy(this.head.due - this.scheduler.now());
    }
  }
}

/** The one timer of a {@link DeadlineQueue}. */
interface Alarm {
  /** Deadlines are pending: make sure the timer is armed (for `delay` ms when it is not) and holds the process open. */
  busy(delay: number): void;
  /** Nothing is pending: the timer must not hold the process open (or a virtual-time flush). */
  idle(): void;
}

/** On any scheduler (a `TestScheduler` in marble tests): disarmed when idle. */
function schedulerAlarm(scheduler: SchedulerLike, wake: () => void): Alarm {
  let action: { unsubscribe(): void } | null = null;
  return {
    busy(delay) {
      action ??= scheduler.schedule(() => {
        action = null;
        wake();
      }, Math.max(0, delay));
    },
    idle() {
      action?.unsubscribe();
      action = null;
    },
  };
}

/**
 * For the default `asyncScheduler`: the platform's `setTimeout` (looked up when armed, so fake
 * timers see it), kept armed but unref'd while idle, so a request at a time does not arm and
 * clear a timer each. Where timers have no `unref` (browsers) there is no process to hold open.
 */
function nodeAlarm(wake: () => void): Alarm {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let held = false;
  return {
    busy(delay) {
      if (timer === null) {
        timer = globalThis.setTimeout(() => {
          timer = null;
          held = false;
          wake();
        }, Math.max(0, delay));
        held = true;
      } else if (!held) {
        (timer as { ref?: () => void }).ref?.();
        held = true;
      }
    },
    idle() {
      if (timer !== null && held) {
        (timer as { unref?: () => void }).unref?.();
        held = false;
      }
    },
  };
}

const queues = new WeakMap<SchedulerLike, Map<number, DeadlineQueue>>();

/** The shared {@link DeadlineQueue} of `limit` on `scheduler`. */
function deadlineQueue(scheduler: SchedulerLike, limit: number): DeadlineQueue {
  let byLimit = queues.get(scheduler);
  if (!byLimit) queues.set(scheduler, (byLimit = new Map()));
  let queue = byLimit.get(limit);
  if (!queue) byLimit.set(limit, (queue = new DeadlineQueue(scheduler, limit)));
  return queue;
}
