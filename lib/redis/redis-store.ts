import { Observable, defer, from } from 'rxjs';
import type { SessionState } from '../session/token-set.js';
import type { TokenStore } from '../session/token-store.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { WRITE_SCRIPT } from './redis-scripts.js';
import { RedisSharedStateError } from './redis-shared-state-error.js';
import type { SubscriberHub } from './subscriber-hub.js';
import type { TokenCodec } from './token-codec.js';

/** What {@link createRedisStore} needs; `shareThroughRedis` fills it in. */
export interface RedisStoreConfig {
  readonly connection: RedisConnection;
  readonly hub: SubscriberHub;
  readonly keys: RedisKeys;
  readonly codec: TokenCodec | undefined;
  readonly commandTimeout: number;
}

/** What a refused write answers when Redis holds nothing (it lost its data): generation 0. */
const NOTHING_STORED: SessionState = { tokens: null, generation: 0, revoked: false, receivedAt: 0, change: 'sign-out' };

/**
 * A {@link TokenStore} on one Redis hash. Reads are one `HMGET`; writes are one atomic script that
 * checks the generation the writer read, writes and publishes; `changes$` comes from the process's
 * shared subscriber, so adopting another process's state costs no Redis call.
 */
export function createRedisStore(config: RedisStoreConfig): TokenStore {
  const { connection, hub, keys, commandTimeout } = config;
  let disposed = false;

  const alive = (operation: 'read' | 'write') => {
    if (disposed) throw new RedisSharedStateError(operation, 'The Redis token store was disposed');
  };

  async function read(): Promise<SessionState | null> {
    alive('read');
    const reply = (await connection.command('read', ['HMGET', keys.state, 'g', 'd'], keys.state, commandTimeout)) as [unknown, unknown] | null;
    const [generation, stored] = reply ?? [null, null];
    if (generation === null || generation === undefined || typeof stored !== 'string') return null;
    return decode(config, Number(generation), stored);
  }

  async function write(next: SessionState, expected: number): Promise<SessionState> {
    alive('write');
    const encoded = await encode(config, next);
    const reply = (await connection.script('write', WRITE_SCRIPT, [keys.state], [String(expected), String(next.generation), encoded, keys.channel], commandTimeout)) as [
      unknown,
      unknown,
      unknown,
    ];
    const [written, generation, stored] = reply;
    if (Number(written) === 1) return next;
    if (typeof stored !== 'string' || stored === '') return NOTHING_STORED;
    return decode(config, Number(generation), stored);
  }

  return {
    read: () => defer(() => from(read())),
    write: (next, expected) => defer(() => from(write(next, expected))),
    changes$: changesOf(config, read, () => disposed),
    dispose() {
      if (disposed) return;
      disposed = true;
      hub.release();
    },
  };
}

/**
 * The states other processes write, from the notices on the shared subscriber (`s<generation>:<state>`),
 * so adopting one costs no Redis call. Once subscribed, and after each reconnection, one `read`
 * catches up on the notices that were sent while nobody listened.
 */
function changesOf(config: RedisStoreConfig, read: () => Promise<SessionState | null>, disposed: () => boolean): Observable<SessionState> {
  return new Observable<SessionState>((subscriber) => {
    let closed = false;
    const emit = (state: SessionState | null) => {
      if (!closed && state) subscriber.next(state);
    };
    const unlisten = config.hub.listen(config.keys.channel, {
      message(message) {
        if (!message.startsWith('s')) return; // lock releases share the channel
        const colon = message.indexOf(':');
        if (colon < 0) return;
        // A notice that cannot be decoded is dropped: the next read reports the problem.
        decode(config, Number(message.slice(1, colon)), message.slice(colon + 1)).then(emit, () => undefined);
      },
      subscribed() {
        // Notices sent before the subscription was in place (or while disconnected) are lost: read once.
        if (!disposed()) read().then(emit, () => undefined);
      },
    });
    return () => {
      closed = true;
      unlisten();
    };
  });
}

/** A state as stored: JSON, encrypted by the codec when there is one. */
async function encode({ codec, keys }: RedisStoreConfig, state: SessionState): Promise<string> {
  const json = JSON.stringify(state);
  return codec ? codec.encrypt(json, { key: keys.key }) : json;
}

/** A stored state back, with the hash's own `generation`; what cannot be read fails with `'decode'`. */
async function decode({ codec, keys }: RedisStoreConfig, generation: number, stored: string): Promise<SessionState> {
  let state: unknown;
  try {
    state = JSON.parse(codec ? await codec.decrypt(stored, { key: keys.key }) : stored);
  } catch (cause) {
    throw new RedisSharedStateError('decode', `The token set stored in Redis under ${keys.state} cannot be read${codec ? ' (wrong codec key?)' : ''}`, { cause });
  }
  if (!isSessionState(state)) throw new RedisSharedStateError('decode', `The value stored in Redis under ${keys.state} is not a session state`);
  // The hash's own generation is the truth: the script compared and wrote that field.
  return { ...state, generation };
}

function isSessionState(value: unknown): value is SessionState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  return (state['tokens'] === null || typeof state['tokens'] === 'object') && typeof state['revoked'] === 'boolean' && typeof state['generation'] === 'number';
}
