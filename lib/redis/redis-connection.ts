import { RedisSharedStateError } from './redis-shared-state-error.js';
import { emitterSubscriber, off, statusOf, withCommands, type Emitter, type RedisConnection } from './redis-commands.js';

export type { RedisConnection, SubscriberConnection } from './redis-commands.js';

// Structural types only: the helper must compile and load without either client installed, so it
// never imports `redis` or `ioredis`, not even their types.
type AnyFunction = (...args: never[]) => unknown;

/**
 * A connected client from `redis` (node-redis, `createClient()` after `await client.connect()`)
 * or from `ioredis` (`new Redis(...)`). Cluster clients of both libraries are accepted too.
 */
export type RedisClientLike =
  | { readonly isOpen: boolean; readonly isReady: boolean; sendCommand: AnyFunction; duplicate: AnyFunction }
  | { readonly status: string; call: AnyFunction; duplicate: AnyFunction };

interface NodeRedisClient extends Emitter {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  readonly masters?: unknown;
  sendCommand(...args: unknown[]): Promise<unknown>;
  duplicate(): NodeRedisClient;
  connect(): Promise<unknown>;
  subscribe(channels: string[], listener: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(channels: string[]): Promise<void>;
  destroy(): void;
}

interface IORedisClient extends Emitter {
  readonly status: string;
  call(command: string, args: (string | number)[]): Promise<unknown>;
  duplicate(): IORedisClient;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  disconnect(): void;
}

/** Tells the two libraries apart by shape and wraps the one it got. */
export function connectionOf(client: RedisClientLike): RedisConnection {
  const candidate = client as unknown as Record<string, unknown>;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate['duplicate'] !== 'function') {
    throw new TypeError('shareThroughRedis: `client` must be a client from `redis` (createClient) or `ioredis` (new Redis)');
  }
  if (typeof candidate['sendCommand'] === 'function' && typeof candidate['isOpen'] === 'boolean') {
    return nodeRedisConnection(client as unknown as NodeRedisClient);
  }
  if (typeof candidate['call'] === 'function' && typeof candidate['status'] === 'string') {
    return ioredisConnection(client as unknown as IORedisClient);
  }
  throw new TypeError('shareThroughRedis: `client` must be a client from `redis` (createClient) or `ioredis` (new Redis)');
}

function nodeRedisConnection(client: NodeRedisClient): RedisConnection {
  if (!client.isOpen) {
    throw new RedisSharedStateError('connect', 'shareThroughRedis: the `redis` client is not connected: `await client.connect()` first');
  }
  // A cluster client routes by the key it is given; a standalone client takes the arguments only.
  const cluster = Array.isArray(client.masters);
  const send = (args: readonly string[], key: string, timeout: number) =>
    cluster ? client.sendCommand(key, false, args, { timeout }) : client.sendCommand(args, { timeout });
  return withCommands('redis', () => client.isReady, () => statusOf(client.isReady), send, (onMessage) => {
    const subscriber = client.duplicate();
    const listener = (message: string, channel: string) => onMessage(channel, message);
    return emitterSubscriber(
      subscriber,
      // Without an 'error' listener a connection error would be thrown from the EventEmitter.
      () => subscriber.connect(),
      (channels) => subscriber.subscribe(channels, listener),
      (channels) => subscriber.unsubscribe(channels),
      () => subscriber.destroy(),
    );
  });
}

function ioredisConnection(client: IORedisClient): RedisConnection {
  if (client.status === 'end' || client.status === 'close' || client.status === 'wait') {
    throw new RedisSharedStateError('connect', `shareThroughRedis: the \`ioredis\` client is not connected (status '${client.status}'): call \`client.connect()\` or drop \`lazyConnect\``);
  }
  const send = (args: readonly string[]) => client.call(args[0] as string, args.slice(1));
  return withCommands('ioredis', () => client.status === 'ready', () => client.status, send, (onMessage) => {
    const subscriber = client.duplicate();
    const listener = (channel: string, message: string) => onMessage(channel, message);
    subscriber.on('message', listener);
    return emitterSubscriber(
      subscriber,
      () => Promise.resolve(), // ioredis connects by itself and queues commands until it has
      (channels) => subscriber.subscribe(...channels).then(() => undefined),
      (channels) => subscriber.unsubscribe(...channels).then(() => undefined),
      () => {
        subscriber.disconnect();
        off(subscriber, 'message', listener);
      },
    );
  });
}

