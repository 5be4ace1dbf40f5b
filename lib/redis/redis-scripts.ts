/** A Lua script and its SHA-1, for `EVALSHA` with an `EVAL` fallback after `NOSCRIPT`. */
export interface RedisScript {
  readonly source: string;
  /** The SHA-1 in hex, computed once with WebCrypto (no `node:crypto`: the package builds without Node types). */
  sha(): Promise<string>;
}

function script(source: string): RedisScript {
  let sha: Promise<string> | undefined;
  return {
    source,
    sha: () =>
      (sha ??= globalThis.crypto.subtle
        .digest('SHA-1', new TextEncoder().encode(source))
        .then((digest) => Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join(''))),
  };
}

/**
 * Fenced write. KEYS[1] the state hash; ARGV expected generation, next generation, encoded state,
 * channel. Writes only when the stored generation (0 when absent) is still `expected` and the
 * next one is greater, then publishes the new state on the channel in the same atomic step, so
 * no member can read the new state before the notice is on its way. Answers
 * `{1|0, generation held now, encoded state held now}` ('' when nothing is stored).
 */
export const WRITE_SCRIPT = script(`
local current = tonumber(redis.call('HGET', KEYS[1], 'g') or '0')
local expected = tonumber(ARGV[1])
local nextgen = tonumber(ARGV[2])
if current == expected and nextgen > current then
  redis.call('HSET', KEYS[1], 'g', ARGV[2], 'd', ARGV[3])
  redis.call('PUBLISH', ARGV[4], 's' .. ARGV[2] .. ':' .. ARGV[3])
  return {1, ARGV[2], ARGV[3]}
end
return {0, tostring(current), redis.call('HGET', KEYS[1], 'd') or ''}
`);

/** Lease extension. KEYS[1] the lock; ARGV owner, ttl ms. 1 when still the owner, else 0. */
export const EXTEND_SCRIPT = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/**
 * Owner-only release. KEYS[1] the lock; ARGV owner, channel. Deletes the lock only when it still
 * holds `owner` (a holder whose lease ran out must not delete the next holder's lock), and tells
 * waiters on the channel to try again now instead of at their next poll.
 */
export const RELEASE_SCRIPT = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'r')
  return 1
end
return 0
`);
