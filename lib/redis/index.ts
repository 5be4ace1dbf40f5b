/* rx-token-http/redis: one refresh per expiry across server processes, through Redis. */
export { shareThroughRedis, REDIS_DEFAULTS } from './share-through-redis.js';
export type { ShareThroughRedisConfig } from './share-through-redis.js';
export type { RedisClientLike } from './redis-connection.js';
export { RedisSharedStateError } from './redis-shared-state-error.js';
export type { RedisOperation } from './redis-shared-state-error.js';
export { aesGcmCodec } from './aes-gcm-codec.js';
export type { TokenCodec, CodecContext } from './token-codec.js';
