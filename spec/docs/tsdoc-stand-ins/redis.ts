// What the @example blocks of lib/redis/ assume besides common.ts: node-redis, and a connected client.
import type { RedisClientLike } from '../../../lib/redis/index.js';

export { createClient } from 'redis';

export declare const client: RedisClientLike;
