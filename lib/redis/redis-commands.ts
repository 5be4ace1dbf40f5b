import { RedisSharedStateError, type RedisOperation } from './redis-shared-state-error.js';
import type { RedisScript } from './redis-scripts.js';

// `never[]`: every listener, whatever it takes, fits where a listener is stored and removed.
type Listener = (...args: never[]) => void;

/** The events both clients' connections emit (Node's EventEmitter shape). */
export interface Emitter {
  on(event: string, listener: Listener): unknown;
  off?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
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

/** What a connection shows while it is not ready. */
export function statusOf(ready: boolean): string {
  return ready ? 'ready' : 'not ready (disconnected or reconnecting)';
}

/**
 * A {@link RedisConnection} over one client's `send`: commands fail at once while the client is
 * not ready and after their timeout, and scripts fall back from EVALSHA to EVAL on NOSCRIPT.
 */
export function withCommands(
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

/** The pub/sub connection's lifecycle, the same for both clients: connect, (re)subscribe, close. */
export function emitterSubscriber(
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

/** Removes a listener with whichever method the emitter has. */
export function off(emitter: Emitter, event: string, listener: Listener): void {
  if (emitter.off) emitter.off(event, listener);
  else emitter.removeListener?.(event, listener);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
