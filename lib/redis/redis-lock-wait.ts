import { releaseLock, type RedisLockConfig } from './redis-lock-lease.js';
import { RedisSharedStateError } from './redis-shared-state-error.js';

/** What {@link waitForLock} calls, once: with the lock taken, or with why it could not be. */
export interface LockWaitHandlers {
  acquired(): void;
  failed(error: RedisSharedStateError): void;
}

/** One wait for the lock: the state its steps below share. */
interface LockWait {
  readonly config: RedisLockConfig;
  readonly owner: string;
  readonly handlers: LockWaitHandlers;
  readonly startedAt: number;
  /** Cancelled, failed, or the lock taken: nothing more to do. */
  over: boolean;
  /** The next poll's base delay, doubled after each refused SET up to {@link MAX_POLL}. */
  poll: number;
  pollTimer?: ReturnType<typeof setTimeout> | undefined;
  /** The SET in flight, if any. */
  attempt?: Promise<void> | undefined;
  /** A release notice that arrived while a SET was out: try again at once when it answers. */
  woken: boolean;
  unlisten: () => void;
}

const FIRST_POLL = 10;
const MAX_POLL = 200;

/**
 * Takes the lock for `owner` with `SET key owner NX PX lockTtl`. While another holds it, polls
 * with a growing, jittered delay up to 200 ms, and tries at once when the holder's release notice
 * arrives; fails with `'lock-wait'` after `lockWait`. Returns a function that gives up the wait.
 */
export function waitForLock(config: RedisLockConfig, owner: string, handlers: LockWaitHandlers): () => void {
  const wait: LockWait = { config, owner, handlers, startedAt: Date.now(), over: false, poll: FIRST_POLL, woken: false, unlisten: () => undefined };
  // A release notice wakes the waiters at once instead of at their next poll.
  wait.unlisten = config.hub.listen(config.keys.channel, {
    message: (message) => {
      if (message === 'r' && !wait.over) tryAcquire(wait);
    },
  });
  tryAcquire(wait);
  return () => endWait(wait);
}

/** Ends the wait: no more polls or wake-ups. Runs once; the run's teardown calls it again after a failure. */
function endWait(wait: LockWait): void {
  if (wait.over) return;
  wait.over = true;
  clearTimeout(wait.pollTimer);
  wait.unlisten();
}

/** Sends one SET, unless one is already out (then its answer tries again). */
function tryAcquire(wait: LockWait): void {
  if (wait.over) return;
  if (wait.attempt) {
    wait.woken = true;
    return;
  }
  wait.woken = false;
  clearTimeout(wait.pollTimer);
  const { connection, keys, lockTtl, commandTimeout } = wait.config;
  wait.attempt = connection
    .command('lock', ['SET', keys.lock, wait.owner, 'NX', 'PX', String(lockTtl)], keys.lock, commandTimeout)
    .then(
      (reply) => onReply(wait, reply === 'OK'),
      (error: unknown) => onError(wait, error),
    );
}

/** The SET's answer: the lock is ours, or wait on (at once if a release notice came meanwhile). */
function onReply(wait: LockWait, taken: boolean): void {
  wait.attempt = undefined;
  if (wait.over) {
    // Given up while the SET was out: let go of what it took.
    if (taken) releaseLock(wait.config, wait.owner);
    return;
  }
  if (taken) {
    endWait(wait);
    wait.handlers.acquired();
  } else if (wait.woken) tryAcquire(wait);
  else waitMore(wait);
}

/** The SET failed (Redis down or too slow): the wait fails with a `RedisSharedStateError`. */
function onError(wait: LockWait, error: unknown): void {
  wait.attempt = undefined;
  // The SET may have reached Redis even though its answer did not reach us.
  releaseLock(wait.config, wait.owner);
  if (wait.over) return;
  endWait(wait);
  wait.handlers.failed(error instanceof RedisSharedStateError ? error : new RedisSharedStateError('lock', 'Redis lock failed', { cause: error }));
}

/** Schedules the next poll, or fails once `lockWait` has passed. */
function waitMore(wait: LockWait): void {
  const { keys, lockWait } = wait.config;
  const left = lockWait - (Date.now() - wait.startedAt);
  if (left <= 0) {
    endWait(wait);
    wait.handlers.failed(new RedisSharedStateError('lock-wait', `The Redis refresh lock ${keys.lock} was not granted within ${lockWait} ms (lockWait): another process holds it`));
    return;
  }
  const delay = Math.min(left, wait.poll * (0.5 + Math.random()));
  wait.poll = Math.min(wait.poll * 2, MAX_POLL);
  wait.pollTimer = setTimeout(() => tryAcquire(wait), delay);
}
