import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { EXTEND_SCRIPT, RELEASE_SCRIPT } from './redis-scripts.js';
import type { SubscriberHub } from './subscriber-hub.js';

/** What `createRedisLock` needs; `shareThroughRedis` fills it in. */
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

/**
 * Lets the lock go if `owner` still holds it, and wakes the waiters (the release script publishes
 * on the channel). Failures are ignored: the lease ends the lock anyway.
 */
export function releaseLock(config: RedisLockConfig, owner: string): void {
  const { connection, keys, commandTimeout } = config;
  connection.script('lock', RELEASE_SCRIPT, [keys.lock], [owner, keys.channel], commandTimeout).catch(() => undefined);
}

/**
 * Extends `owner`'s lease every third of `lockTtl` until the returned function is called, so a
 * slow task keeps the lock. A failed or refused extension is not an error of the task: the
 * store's fenced write decides whether its result is kept.
 */
export function keepLease(config: RedisLockConfig, owner: string): () => void {
  const { connection, keys, lockTtl, commandTimeout } = config;
  const timer = setInterval(() => {
    connection.script('lock', EXTEND_SCRIPT, [keys.lock], [owner, String(lockTtl)], commandTimeout).catch(() => undefined);
  }, Math.max(1, Math.floor(lockTtl / 3)));
  return () => clearInterval(timer);
}
