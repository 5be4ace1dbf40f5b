import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * A member's clock, `offset` ms off the others' (a server whose clock runs ahead or behind):
 * its `now()` is skewed, its timers are the ordinary ones (so they run on fake timers too).
 */
export function skewedScheduler(offset: number): SchedulerLike {
  if (offset === 0) return asyncScheduler;
  return {
    now: () => asyncScheduler.now() + offset,
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
      return asyncScheduler.schedule(work, delay, state);
    },
  };
}

/** A seeded random source in [0, 1) (mulberry32), so a run's jitter is the same for one seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
