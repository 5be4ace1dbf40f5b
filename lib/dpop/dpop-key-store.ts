import { isJwsAlgorithm, type JwsAlgorithm } from '../oauth2/jws-sign.js';
import { dpopKeyOfPair, generateKeyPair, type DpopKey } from './dpop-key.js';
import { DpopKeyError } from './dpop-key-error.js';

/** Where a browser keeps its DPoP key. */
export interface DpopKeyStoreConfig {
  /** The IndexedDB database. @default 'rx-token-http-dpop' */
  readonly database?: string;
  /** The key's id in it: one key per id (per user, or per authorization server, as the app needs). @default 'default' */
  readonly id?: string;
  /** The algorithm of a key made when there is none; a stored key keeps its own. @default 'ES256' */
  readonly algorithm?: JwsAlgorithm;
  /** The IndexedDB to use. @default globalThis.indexedDB */
  readonly indexedDB?: IDBFactory;
}

/** A DPoP key kept in IndexedDB, so that a reload, and every tab of the origin, has the same key. */
export interface DpopKeyStore {
  /**
   * The stored key. When there is none: with `create` (the default) a new non-extractable key is
   * made and stored, the same one for every tab that asks at once; with `create: false` (the app
   * holds tokens bound to a key) a {@link DpopKeyError} with reason `lost`. A stored value that is
   * not a usable key pair is a `DpopKeyError` with reason `unreadable`; no IndexedDB, or one that
   * fails, reason `unavailable`.
   */
  load(options?: { readonly create?: boolean }): Promise<DpopKey>;
  /** Deletes the key: tokens bound to it can no longer be used (a sign-out that ends the binding). */
  forget(): Promise<void>;
}

const STORE = 'keys';

/** What is stored: the key pair as `CryptoKey`s (structured clones keep them non-extractable). */
interface StoredKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly algorithm: JwsAlgorithm;
}

/**
 * A browser's DPoP key in IndexedDB. IndexedDB stores a `CryptoKey` itself, by structured
 * clone: the private key stays NON-extractable there and after it is read back, so no script,
 * this package's included, can read the key out; it can only sign with it. A reload keeps the key,
 * and with it the binding of the tokens (RFC 9449); every tab of the origin loads the same key.
 *
 * @example
 * const key = await createDpopKeyStore({ id: 'alice' }).load();
 */
export function createDpopKeyStore(config: DpopKeyStoreConfig = {}): DpopKeyStore {
  const { database = 'rx-token-http-dpop', id = 'default', algorithm = 'ES256' } = config;
  if (typeof database !== 'string' || database === '') throw new TypeError('createDpopKeyStore: database must be a non-empty string');
  if (typeof id !== 'string' || id === '') throw new TypeError('createDpopKeyStore: id must be a non-empty string');
  if (!isJwsAlgorithm(algorithm)) throw new TypeError('createDpopKeyStore: algorithm must be a JWS algorithm such as ES256');
  const place: Place = { database, where: `the DPoP key "${id}" in IndexedDB "${database}"`, factory: config.indexedDB };

  const read = (): Promise<unknown> =>
    transact<unknown>(place, 'readonly', (store, done) => {
      const request = store.get(id);
      request.onsuccess = () => done(request.result);
    });

  // Stores `candidate` unless another tab stored a key first; answers the key that is stored.
  const storeFirst = (candidate: StoredKey): Promise<unknown> =>
    transact<unknown>(place, 'readwrite', (store, done) => {
      const request = store.get(id);
      request.onsuccess = () => {
        if (request.result !== undefined) return done(request.result);
        store.add(candidate, id);
        done(candidate);
      };
    });

  return {
    load: async ({ create = true } = {}) => {
      const stored = await read();
      if (stored !== undefined) return usable(place, stored);
      if (!create) throw new DpopKeyError('lost', `${place.where} is gone: tokens bound to it cannot be used or refreshed; sign in again`);
      return usable(place, await storeFirst({ ...(await generateKeyPair(algorithm)), algorithm }));
    },
    forget: () =>
      transact<void>(place, 'readwrite', (store, done) => {
        store.delete(id);
        done();
      }),
  };
}

/** Where a key store's keys are: the database, its factory, and how messages name the key. */
interface Place {
  readonly database: string;
  readonly where: string;
  readonly factory: IDBFactory | undefined;
}

function open({ database, where, factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB }: Place): Promise<IDBDatabase> {
  if (factory === undefined) return Promise.reject(new DpopKeyError('unavailable', `${where}: there is no IndexedDB here (a browser keeps the key; elsewhere pass the key to the session)`));
  return new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(database, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new DpopKeyError('unavailable', `${where}: IndexedDB would not open`, { cause: request.error }));
  });
}

// One transaction; `work` runs its requests' callbacks inside it, so a read and the write it leads
// to are one step for IndexedDB, which orders the read-write transactions of every tab.
async function transact<T>(place: Place, mode: IDBTransactionMode, work: (store: IDBObjectStore, done: (value: T) => void) => void): Promise<T> {
  const db = await open(place);
  return new Promise<T>((resolve, reject) => {
    let value: T;
    let tx: IDBTransaction;
    try {
      tx = db.transaction(STORE, mode);
    } catch (cause) {
      // A database of that name made by other code, without our object store.
      db.close();
      return reject(new DpopKeyError('unavailable', `${place.where}: the IndexedDB database has no "${STORE}" store`, { cause }));
    }
    work(tx.objectStore(STORE), (v) => (value = v));
    tx.oncomplete = () => (db.close(), resolve(value));
    tx.onerror = tx.onabort = () => (db.close(), reject(new DpopKeyError('unavailable', `${place.where}: IndexedDB failed`, { cause: tx.error })));
  });
}

// A stored value made whole again, checked as a supplied key pair is; anything else is unreadable.
async function usable({ where }: Place, stored: unknown): Promise<DpopKey> {
  const { privateKey, publicKey, algorithm } = (stored ?? {}) as Partial<StoredKey>;
  if (!isJwsAlgorithm(algorithm) || privateKey === undefined || publicKey === undefined) throw new DpopKeyError('unreadable', `${where} is not a key pair`);
  return dpopKeyOfPair({ privateKey, publicKey }, algorithm).catch((cause: unknown) => {
    throw new DpopKeyError('unreadable', `${where} is not a usable ${algorithm} key pair`, { cause });
  });
}
