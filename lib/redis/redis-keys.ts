/**
 * The Redis names of one shared session. All share the hash tag `{key}`, so on Redis Cluster they
 * live in one slot: the write script touches the state key only, and the channel rides along.
 */
export interface RedisKeys {
  /** The app's key, e.g. `tokens:42`. */
  readonly key: string;
  /** Hash `{ g: generation, d: encoded state }`. */
  readonly state: string;
  /** The refresh lock: `SET NX PX` with a random owner. */
  readonly lock: string;
  /** Pub/sub channel: `s<generation>:<encoded state>` after each accepted write, `r` after a release. */
  readonly channel: string;
}

export function redisKeys(key: string): RedisKeys {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('shareThroughRedis: `key` must be a non-empty string, e.g. `tokens:${userId}`');
  if (key.includes('{') || key.includes('}')) {
    throw new TypeError('shareThroughRedis: `key` must not contain `{` or `}`: the helper wraps it in a hash tag itself');
  }
  const tag = `{${key}}`;
  return { key, state: `${tag}:state`, lock: `${tag}:lock`, channel: `${tag}:changes` };
}
