import { Observable, type Subscription } from 'rxjs';
import type { RefreshLock } from '../session/token-store.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { EXTEND_SCRIPT, RELEASE_SCRIPT } from './redis-scripts.js';
import { RedisSharedStateError } from './redis-shared-state-error.js';
import type { SubscriberHub } from './subscriber-hub.js';

/** What {@link createRedisLock} needs; `shareThroughRedis` fills it in. */
export interface RedisLockConfig {
  readonly connection: RedisConnection;
  readonly hub: SubscriberHub;
  readonly keys: RedisKeys;
  /** Lease in ms: a crashed holder blocks the others no longer than this. */
  readonly lockTtl: number;
  /** How long `run` waits for the lock before failing with `RedisSharedStateError` (`'lock-wait'`). */
  readonly lockWait: number;
  readonly commandTimeout: number;
}

const FIRST_POLL = 10;
const MAX_POLL = 200;

/**
 * A {@link RefreshLock} on one Redis key: `SET key owner NX PX lockTtl` with a random owner, the
 * lease extended every third of `lockTtl` while the task runs, and an owner-only release script
 * that also wakes the waiters (who otherwise poll with a growing delay up to 200 ms).
 *
 * A holder that loses its lease (paused longer than `lockTtl`) is not stopped: its task goes on,
 * and the store's fenced write refuses its late result. That, not the lease, is the safety net.
 */
export function createRedisLock(config: RedisLockConfig): RefreshLock {
  const { connection, hub, keys, lockTtl, lockWait, commandTimeout } = config;
  const running = new Set<() => void>();
  let disposed = false;

  const release = (owner: string) => connection.script('lock', RELEASE_SCRIPT, [keys.lock], [owner, keys.channel], commandTimeout).catch(() => undefined); // the lease ends it anyway

  function run<T>(task: () => Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      const owner = globalThis.crypto.randomUUID();
      const startedAt = Date.now();
      let held = false;
      let finished = false;
      let pollTimer: ReturnType<typeof setTimeout> | undefined;
      let extendTimer: ReturnType<typeof setInterval> | undefined;
      let inner: Subscription | undefined;
      let unlisten: (() => void) | undefined;
      let poll = FIRST_POLL;
      let attempt: Promise<void> | undefined;
      // A release notice that arrived while a SET was out: try again at once when it answers.
      let woken = false;

      const stop = () => {
        if (finished) return;
        finished = true;
        running.delete(stop);
        clearTimeout(pollTimer);
        clearInterval(extendTimer);
        unlisten?.();
        inner?.unsubscribe();
        if (held) void release(owner);
      };

      const fail = (error: RedisSharedStateError) => {
        stop();
        subscriber.error(error);
      };

      const tryAcquire = (): void => {
        if (finished) return;
        if (attempt) {
          woken = true;
          return;
        }
        woken = false;
        clearTimeout(pollTimer);
        attempt = connection
          .command('lock', ['SET', keys.lock, owner, 'NX', 'PX', String(lockTtl)], keys.lock, commandTimeout)
          .then(
            (reply) => {
              attempt = undefined;
              if (finished) {
                if (reply === 'OK') void release(owner);
                return;
              }
              if (reply === 'OK') return acquired();
              if (woken) return tryAcquire();
              waitMore();
            },
            (error: unknown) => {
              attempt = undefined;
              // The SET may have reached Redis even though its answer did not reach us.
              void release(owner);
              if (!finished) fail(error instanceof RedisSharedStateError ? error : new RedisSharedStateError('lock', 'Redis lock failed', { cause: error }));
            },
          );
      };

      const waitMore = () => {
        const left = lockWait - (Date.now() - startedAt);
        if (left <= 0) {
          fail(new RedisSharedStateError('lock-wait', `The Redis refresh lock ${keys.lock} was not granted within ${lockWait} ms (lockWait): another process holds it`));
          return;
        }
        const delay = Math.min(left, poll * (0.5 + Math.random()));
        poll = Math.min(poll * 2, MAX_POLL);
        pollTimer = setTimeout(tryAcquire, delay);
      };

      const acquired = () => {
        held = true;
        unlisten?.();
        unlisten = undefined;
        // Keeps the lease while the task runs. A failed or refused extension is not an error of
        // the task: the fenced write decides whether its result is kept.
        extendTimer = setInterval(() => {
          connection.script('lock', EXTEND_SCRIPT, [keys.lock], [owner, String(lockTtl)], commandTimeout).catch(() => undefined);
        }, Math.max(1, Math.floor(lockTtl / 3)));
        let source: Observable<T>;
        try {
          source = task();
        } catch (error) {
          stop();
          subscriber.error(error);
          return;
        }
        inner = source.subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            stop();
            subscriber.error(error);
          },
          complete: () => {
            stop();
            subscriber.complete();
          },
        });
      };

      if (disposed) {
        subscriber.error(new RedisSharedStateError('lock', 'The Redis refresh lock was disposed'));
        return;
      }
      running.add(stop);
      // A release notice wakes the waiters at once instead of at their next poll.
      unlisten = hub.listen(keys.channel, {
        message: (message) => {
          if (message === 'r' && !held) tryAcquire();
        },
      });
      tryAcquire();
      return stop;
    });
  }

  return {
    run,
    dispose() {
      disposed = true;
      for (const stop of [...running]) stop();
    },
  };
}
