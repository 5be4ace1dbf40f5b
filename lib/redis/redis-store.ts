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
    return decode(config, generation, stored);
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
    return decode(config, generation, stored);
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
        // A notice that cannot be decrypted or parsed is dropped: the next read reports the problem.
        // Any other is checked field by field where it enters the session, which reports it.
        decodeNotice(config, message.slice(1, colon), message.slice(colon + 1)).then(emit, () => undefined);
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
async function decode(config: RedisStoreConfig, rawGeneration: unknown, stored: string): Promise<SessionState> {
  // The hash's own generation is the truth: the script compared and wrote that field.
  const generation = parseGeneration(rawGeneration);
  if (generation === undefined) throw new RedisSharedStateError('decode', `The generation stored in Redis under ${config.keys.state} is not a whole number from 0 to 2^53 - 1`);
  return { ...(await decodeValue(config, stored)), generation };
}

/**
 * A notice's state, its generation as sent when it is no whole number: the session checks every
 * field of a notice and says what was wrong with it, where a failure here would go unheard.
 */
async function decodeNotice(config: RedisStoreConfig, rawGeneration: string, stored: string): Promise<SessionState> {
  return { ...(await decodeValue(config, stored)), generation: parseGeneration(rawGeneration) ?? (rawGeneration as unknown as number) };
}

/** The stored JSON, decrypted by the codec when there is one; its fields are the session's to check. */
async function decodeValue({ codec, keys }: RedisStoreConfig, stored: string): Promise<SessionState> {
  let state: unknown;
  try {
    state = JSON.parse(codec ? await codec.decrypt(stored, { key: keys.key }) : stored);
  } catch (cause) {
    throw new RedisSharedStateError('decode', `The token set stored in Redis under ${keys.state} cannot be read${codec ? ' (wrong codec key?)' : ''}`, { cause });
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new RedisSharedStateError('decode', `The value stored in Redis under ${keys.state} is not a session state`);
  return state as SessionState;
}

/**
 * Digits only: `Number()` would take `'abc'` as NaN, `'1e400'` as Infinity, `''` as 0 and
 * 2^53 + 1 as its neighbour, and the write script's `tonumber` reads some of them differently.
 */
function parseGeneration(raw: unknown): number | undefined {
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(text)) return undefined;
  const generation = Number(text);
  return Number.isSafeInteger(generation) ? generation : undefined;
}
