import { shareParts, type SharedParts } from '../session/sharing/share-store.js';
import type { RefreshLock, Share } from '../session/token-store.js';
import { checkDuration } from '../util/check-duration.js';
import { connectionOf, type RedisClientLike } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import { createRedisLock } from './redis-lock.js';
import { createRedisStore } from './redis-store.js';
import { acquireHub } from './subscriber-hub.js';
import type { TokenCodec } from './token-codec.js';

/** How {@link shareThroughRedis} shares one session's tokens. Only `client` and `key` are required. */
export interface ShareThroughRedisConfig {
  /**
   * A connected client the app already has: `redis` (node-redis, after `await client.connect()`)
   * or `ioredis`. The helper never closes it; it opens one extra pub/sub connection per client
   * (shared by every session on that client) and closes it when the last of them is disposed.
   */
  readonly client: RedisClientLike;
  /**
   * Names this session's shared state, e.g. `tokens:${userId}` or `partner-api:client-credentials`.
   * The helper derives `{key}:state`, `{key}:lock` and the channel `{key}:changes` (one hash tag, so
   * one Redis Cluster slot). Must not contain `{` or `}`.
   */
  readonly key: string;
  /**
   * The lock's lease in ms: extended every third of it while the refresh runs, so a slow token
   * endpoint keeps it; a crashed holder blocks the other processes at most this long.
   * @default 5000
   */
  readonly lockTtl?: number;
  /**
   * How long a refresh waits for the lock before failing (`RedisSharedStateError`, operation
   * `'lock-wait'`, reaching requests as `TokenRefreshError` reason `'store-failed'`).
   * @default 20000 (the session's default `refreshDeadline`, which bounds it anyway)
   */
  readonly lockWait?: number;
  /** Each Redis command fails after this many ms; commands fail at once while the client is disconnected. @default 2000 */
  readonly commandTimeout?: number;
  /** Encrypts the stored token set: see {@link aesGcmCodec}. @default none (JSON in clear) */
  readonly codec?: TokenCodec;
}

/** The defaults of {@link ShareThroughRedisConfig}, in one place. */
export const REDIS_DEFAULTS = { lockTtl: 5_000, lockWait: 20_000, commandTimeout: 2_000 } as const;

/**
 * Shares one session's tokens among processes through Redis: give the result to
 * `createTokenSession` as `share`. One refresh per expiry across the fleet, late writers fenced off by
 * generation, changes delivered by pub/sub (a request with a valid token makes no Redis call),
 * and Redis failures surfaced as `TokenRefreshError` reason `'store-failed'`, never as a refresh
 * without the lock. Throws at once when the client is not connected.
 *
 * One result may be given to several sessions (Angular builds its session config once per app):
 * each connects on its own, as a process of the fleet, and disposing one never stops another.
 * Its `store` and `lock`, for reading them directly, are one more member, made on first read,
 * that only `store.dispose()` releases.
 *
 * @example
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const session = createTokenSession({
 *   refresh: oauth2RefreshGrant({ tokenUrl, clientId }),
 *   share: shareThroughRedis({ client, key: `tokens:${userId}` }),
 * });
 */
export function shareThroughRedis(config: ShareThroughRedisConfig): Share & { readonly lock: RefreshLock } {
  if (typeof config !== 'object' || config === null) throw new TypeError('shareThroughRedis: pass a config object, e.g. { client, key: `tokens:${userId}` }');
  const keys = redisKeys(config.key);
  const lockTtl = duration('lockTtl', config.lockTtl, REDIS_DEFAULTS.lockTtl, 3);
  const lockWait = duration('lockWait', config.lockWait, REDIS_DEFAULTS.lockWait, 0);
  const commandTimeout = duration('commandTimeout', config.commandTimeout, REDIS_DEFAULTS.commandTimeout, 1);
  const { codec } = config;
  if (codec !== undefined && (typeof codec.encrypt !== 'function' || typeof codec.decrypt !== 'function')) {
    throw new TypeError('shareThroughRedis: `codec` must have `encrypt` and `decrypt` functions');
  }
  const connection = connectionOf(config.client);
  // Each session gets a store and lock of its own on the client's one subscriber, as if it had
  // called shareThroughRedis itself: its dispose releases its own, never another session's.
  const open = (): SharedParts<RefreshLock> => {
    const hub = acquireHub(config.client, connection);
    return { store: createRedisStore({ connection, hub, keys, codec, commandTimeout }), lock: createRedisLock({ connection, hub, keys, lockTtl, lockWait, commandTimeout }) };
  };
  return shareParts(open, open);
}

function duration(name: string, value: number | undefined, fallback: number, min: number): number {
  return value === undefined ? fallback : checkDuration(value, `shareThroughRedis: \`${name}\``, { min });
}
