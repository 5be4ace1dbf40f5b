import { createStoreSync } from './store-sync.js';
import { CONNECT_SESSION, type RefreshLock, type SharedState, type TokenStore } from './token-store.js';

/**
 * Makes your own {@link TokenStore} (a database row, a KV store) and {@link RefreshLock}
 * shareable by sessions: pass the result as a session's `share`. Without a lock each member may
 * refresh on its own, which rotation punishes: give one whenever members can refresh at once.
 * Throws a TypeError when `store` or `lock` lacks a method.
 *
 * @example
 * const share = shareStore(rowStore('ada'), advisoryLock('ada'));
 * const session = createTokenSession({ refresh, share });
 */
export function shareStore(store: TokenStore, lock: RefreshLock): SharedState & { readonly lock: RefreshLock };
export function shareStore(store: TokenStore, lock?: RefreshLock): SharedState;
export function shareStore(store: TokenStore, lock?: RefreshLock): SharedState {
  if (typeof store?.read !== 'function' || typeof store.write !== 'function') {
    throw new TypeError('shareStore: `store` needs `read()` and `write(next, expected)` (see TokenStore)');
  }
  if (lock !== undefined && typeof lock?.run !== 'function') throw new TypeError('shareStore: `lock` needs `run(task)` (see RefreshLock)');
  return { store, lock, [CONNECT_SESSION]: (session) => createStoreSync(session, store, lock) };
}
