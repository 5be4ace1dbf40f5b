import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { RefreshLock } from '../session/token-store.js';
import { runThenRelease } from '../util/run-then-release.js';
import { keepLease, releaseLock, type RedisLockConfig } from './redis-lock-lease.js';
import { waitForLock } from './redis-lock-wait.js';
import { RedisSharedStateError } from './redis-shared-state-error.js';

export type { RedisLockConfig } from './redis-lock-lease.js';

/**
 * A {@link RefreshLock} on one Redis key: `SET key owner NX PX lockTtl` with a random owner, the
 * lease extended every third of `lockTtl` while the task runs, and an owner-only release script
 * that also wakes the waiters (who otherwise poll with a growing delay up to 200 ms).
 *
 * A holder that loses its lease (paused longer than `lockTtl`) is not stopped: its task goes on,
 * and the store's fenced write refuses its late result. That, not the lease, is the safety net.
 */
export function createRedisLock(config: RedisLockConfig): RefreshLock {
  // The teardown of every run not yet ended, for dispose.
  const running = new Set<() => void>();
  let disposed = false;
  return {
    run<T>(task: () => Observable<T>): Observable<T> {
      return new Observable<T>((subscriber) => {
        if (disposed) {
          subscriber.error(new RedisSharedStateError('lock', 'The Redis refresh lock was disposed'));
          return;
        }
        return runUnderLock(config, task, subscriber, running);
      });
    },
    dispose() {
      disposed = true;
      for (const stop of [...running]) stop();
    },
  };
}

/**
 * One subscription to `run`: waits for the lock, then runs the task while keeping the lease.
 * Returns the teardown, which ends the wait or the task and lets the lock go; it is also kept in
 * `running` until it has run, so that dispose can end every run.
 */
function runUnderLock<T>(config: RedisLockConfig, task: () => Observable<T>, subscriber: Subscriber<T>, running: Set<() => void>): () => void {
  const owner = globalThis.crypto.randomUUID();
  let finished = false;
  let held = false;
  let stopLease: (() => void) | undefined;
  let inner: Subscription | undefined;
  const stop = (): void => {
    if (finished) return;
    finished = true;
    running.delete(stop);
    giveUp();
    stopLease?.();
    inner?.unsubscribe();
    if (held) releaseLock(config, owner);
  };
  running.add(stop);
  const giveUp = waitForLock(config, owner, {
    acquired: () => {
      held = true;
      stopLease = keepLease(config, owner);
      inner = runThenRelease(task, subscriber, stop);
    },
    failed: (error) => {
      stop();
      subscriber.error(error);
    },
  });
  return stop;
}
