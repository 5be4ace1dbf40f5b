import { createStoreSync } from './store-sync.js';
import { CONNECT_SESSION, type RefreshLock, type Share, type TokenStore } from '../token-store.js';

/** A store and a lock, as one session (or an app reading them directly) uses them. */
export interface SharedParts<L extends RefreshLock | undefined = RefreshLock | undefined> {
  readonly store: TokenStore;
  readonly lock: L;
}

/**
 * Makes your own {@link TokenStore} (a database row, a KV store) and {@link RefreshLock}
 * shareable by sessions: pass the result as a session's `share`. Without a lock each member may
 * refresh on its own, which rotation punishes: give one whenever members can refresh at once.
 * Throws a TypeError when `store` or `lock` lacks a method.
 *
 * One result may be given to several sessions: each works on its own, whatever the others do.
 * `store.dispose()` and `lock.dispose()` run once, when the last session connected to them is
 * disposed; a session connected after that uses them again (and disposes them again when it
 * ends), so give a store whose `dispose()` is final to one round of sessions only.
 *
 * @example
 * const share = shareStore(rowStore('ada'), advisoryLock('ada'));
 * const session = createTokenSession({ refresh, share });
 */
export function shareStore(store: TokenStore, lock: RefreshLock): Share & { readonly lock: RefreshLock };
export function shareStore(store: TokenStore, lock?: RefreshLock): Share;
export function shareStore(store: TokenStore, lock?: RefreshLock): Share {
  if (typeof store?.read !== 'function' || typeof store.write !== 'function') {
    throw new TypeError('shareStore: `store` needs `read()` and `write(next, expected)` (see TokenStore)');
  }
  if (lock !== undefined && typeof lock?.run !== 'function') throw new TypeError('shareStore: `lock` needs `run(task)` (see RefreshLock)');
  return shareParts(() => ({ store, lock }), countSessions(store, lock));
}

/**
 * A {@link Share} whose every session gets the parts `connect()` gives it, and disposes
 * them when it is disposed. `own()` makes the parts the result shows as `store` and `lock`, on
 * first read (for apps and tests that use them directly; no session uses them).
 */
export function shareParts<L extends RefreshLock | undefined>(own: () => SharedParts<L>, connect: () => SharedParts<L>): Share & { readonly lock: L } {
  let shown: SharedParts<L> | undefined;
  return {
    get store() {
      return (shown ??= own()).store;
    },
    get lock() {
      return (shown ??= own()).lock;
    },
    [CONNECT_SESSION]: (session) => {
      const { store, lock } = connect();
      return createStoreSync(session, store, lock);
    },
  };
}

/**
 * Gives each session a view of one store and lock whose `dispose()` says that session is done;
 * the store's and lock's own `dispose()` run when no session is connected any more. A
 * session's dispose thus never stops another's reads, writes or lock.
 */
function countSessions(store: TokenStore, lock: RefreshLock | undefined): () => SharedParts {
  let sessions = 0;
  return () => {
    sessions += 1;
    let connected = true;
    const leave = (): void => {
      if (!connected) return;
      connected = false;
      sessions -= 1;
      if (sessions > 0) return;
      store.dispose?.();
      lock?.dispose?.();
    };
    const view: TokenStore = { read: () => store.read(), write: (next, expected) => store.write(next, expected), changes$: store.changes$, dispose: leave };
    return { store: view, lock: lock && { run: (task) => lock.run(task), dispose: leave } };
  };
}
