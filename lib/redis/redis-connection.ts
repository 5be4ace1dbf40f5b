import { RedisSharedStateError, type RedisOperation } from './redis-shared-state-error.js';
import type { RedisScript } from './redis-scripts.js';

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

// `never[]`: every listener, whatever it takes, fits where a listener is stored and removed.
type Listener = (...args: never[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
  off?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
}

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

/** The second connection pub/sub needs (a subscribed connection runs no other command). */
export interface SubscriberConnection {
  subscribe(channels: string[]): Promise<void>;
  unsubscribe(channels: string[]): Promise<void>;
  /** Called on every (re)connection after the first, once the client has resubscribed. */
  onReconnect(listener: () => void): void;
  close(): void;
}

/** What the store and lock need from a client, the same for both libraries. */
export interface RedisConnection {
  readonly library: 'redis' | 'ioredis';
  /** Runs a command; fails at once when the client is not connected, and after `timeout` ms. */
  command(operation: RedisOperation, args: readonly string[], key: string, timeout: number): Promise<unknown>;
  /** Runs a Lua script by SHA, loading it when Redis answers NOSCRIPT (first use, or after a restart). */
  script(operation: RedisOperation, script: RedisScript, keys: readonly string[], args: readonly string[], timeout: number): Promise<unknown>;
  /** Opens the pub/sub connection: a duplicate of the client, delivering every message to `onMessage`. */
  openSubscriber(onMessage: (channel: string, message: string) => void): SubscriberConnection;
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

function statusOf(ready: boolean): string {
  return ready ? 'ready' : 'not ready (disconnected or reconnecting)';
}

function withCommands(
  library: RedisConnection['library'],
  ready: () => boolean,
  status: () => string,
  send: (args: readonly string[], key: string, timeout: number) => Promise<unknown>,
  openSubscriber: RedisConnection['openSubscriber'],
): RedisConnection {
  const command = (operation: RedisOperation, args: readonly string[], key: string, timeout: number): Promise<unknown> => {
    // Both clients queue commands while they reconnect; a refresh must not wait on that queue.
    if (!ready()) return Promise.reject(new RedisSharedStateError(operation, `Redis is not reachable: the ${library} client is ${status()}`));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisSharedStateError(operation, `Redis did not answer ${args[0]} within ${timeout} ms`)), timeout);
    });
    const call = send(args, key, timeout).catch((cause: unknown) => {
      throw cause instanceof RedisSharedStateError ? cause : new RedisSharedStateError(operation, `Redis ${args[0]} failed: ${messageOf(cause)}`, { cause });
    });
    return Promise.race([call, limit]).finally(() => clearTimeout(timer));
  };
  return {
    library,
    command,
    script: async (operation, { sha, source }, keys, args, timeout) => {
      const key = keys[0] as string;
      try {
        return await command(operation, ['EVALSHA', await sha(), String(keys.length), ...keys, ...args], key, timeout);
      } catch (error) {
        if (!messageOf(error).includes('NOSCRIPT')) throw error;
        return command(operation, ['EVAL', source, String(keys.length), ...keys, ...args], key, timeout);
      }
    },
    openSubscriber,
  };
}

function emitterSubscriber(
  connection: Emitter,
  connect: () => Promise<unknown>,
  subscribe: (channels: string[]) => Promise<void>,
  unsubscribe: (channels: string[]) => Promise<void>,
  close: () => void,
): SubscriberConnection {
  const reconnectListeners: (() => void)[] = [];
  let readyCount = 0;
  // Both clients resubscribe by themselves after a reconnection; notices sent while this process
  // was cut off are lost, so the store reads what it missed once the connection is back.
  const onReady = () => {
    readyCount += 1;
    if (readyCount > 1) setTimeout(() => reconnectListeners.forEach((listener) => listener()), 20);
  };
  const onError = () => undefined; // reported through the commands that fail; the client reconnects
  connection.on('ready', onReady);
  connection.on('error', onError);
  const connected = connect().catch(() => undefined);
  return {
    subscribe: (channels) => connected.then(() => subscribe(channels)),
    unsubscribe: (channels) => connected.then(() => unsubscribe(channels)),
    onReconnect: (listener) => void reconnectListeners.push(listener),
    close() {
      reconnectListeners.length = 0;
      close();
      off(connection, 'ready', onReady);
      // Late socket errors after close must not crash the process: keep the no-op error listener.
    },
  };
}

function off(emitter: Emitter, event: string, listener: Listener): void {
  if (emitter.off) emitter.off(event, listener);
  else emitter.removeListener?.(event, listener);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
