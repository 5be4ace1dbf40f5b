import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
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
      const entry = deadlineQueue(scheduler, limit).add(() => subscriber.error(new RequestTimeoutError(method, url, limit)));
      const subscription = source.subscribe(subscriber);
      return () => {
        entry.cancel();
        subscription.unsubscribe();
      };
    });
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
 * time and, on waking, re-arms for the new head. With nothing pending, no timer is armed, so the
 * process can exit and a virtual-time flush ends.
 */
class DeadlineQueue {
  private head: Deadline | null = null;
  private tail: Deadline | null = null;
  private timer: Subscription | null = null;
  private expiring = false;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly limit: number,
  ) {}

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
    if (!this.timer && !this.expiring) this.arm(this.limit);
    return entry;
  }

  private remove(entry: Deadline): void {
    entry.fire = null;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = null;
    if (this.head === null && this.timer) {
      this.timer.unsubscribe();
      this.timer = null;
    }
  }

  private arm(delay: number): void {
    this.timer = this.scheduler.schedule(() => this.expire(), Math.max(0, delay));
  }

  private expire(): void {
    this.timer = null;
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
      if (this.head && !this.timer) this.arm(this.head.due - this.scheduler.now());
    }
  }
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
