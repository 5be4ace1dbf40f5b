import type { Observable, ObservableInput } from 'rxjs';
import type { SessionState, StateChange } from './token-set.js';

/**
 * Where a session's state is shared beyond this session object: other browser tabs
 * (`rx-token-http/tabs`), other server processes (`rx-token-http/redis`), or other sessions of
 * this process. Without a store a session shares nothing.
 *
 * The store owns the generation: every accepted write moves it from `expected` to
 * `expected + 1`, so all members agree on the number, and a member whose information is old can
 * never overwrite a newer state (fencing). Requests never touch the store: only refreshes,
 * sign-in, sign-out, revocation and a session's start do.
 *
 * Every operation must answer in bounded time or error; the session bounds each call with its
 * own deadline anyway and treats a silent store as a failure (`TokenRefreshError`, reason
 * `store-failed`).
 *
 * A store is shared, so the session trusts nothing it answers: every state from `read`, `write`
 * and `changes$` must have a `generation` that is a whole number from 0 to 2^53 - 1 (a number,
 * not a string), a boolean `revoked`, a finite `receivedAt`, a {@link StateChange} as `change`,
 * and `tokens` that are `null` or pass the same checks as a token response. Fields it does not
 * know are dropped. Anything else is a store failure naming the field (never quoting a token):
 * inside a refresh a `TokenRefreshError` with reason `store-failed`, outside one a `store-failed`
 * event; the session never adopts it, nor refreshes because of it.
 */
export interface TokenStore {
  /** The shared state now, or `null` when nothing was stored yet. */
  read(): ObservableInput<SessionState | null>;
  /**
   * Fenced write: stores `next` only if the shared generation is still `expected` (`0` when
   * nothing is stored yet), atomically. `next.generation` is always greater than `expected`
   * (usually `expected + 1`; more when the store lost its state and a member knows a higher
   * number). Emits the state the store holds afterwards: `next` when it was written, otherwise
   * the state that refused it (which the session then adopts when it is newer). A refusing
   * state older than `expected` means the store lost its state: the session writes over it (a
   * few times, then it fails); one at `expected` itself is a failure (the store had no reason
   * to refuse).
   *
   * A store of your own should not take reads for long while it refuses writes (a read-only
   * replica behind a failover): a refresh whose write fails five `storeTimeout`s in a row keeps
   * its tokens in this session only and lets the lock go, and a member that then reads the
   * store sees the refresh token that refresh spent. A lock kept in the same store (as
   * `shareThroughRedis` does) fails with it instead, and nobody refreshes until writes work.
   */
  write(next: SessionState, expected: number): ObservableInput<SessionState>;
  /**
   * States written by other members, as they happen. A notice may come late, twice, or out of
   * order: the session adopts only generations newer than its own. An invalid notice is dropped
   * and said as `store-failed` (operation `'changes'`); the session goes on listening. An error
   * of the stream itself ends the listening.
   */
  readonly changes$?: Observable<SessionState>;
  /**
   * Releases what the store holds (subscriptions, channels). `shareStore` calls it once the last
   * session using it is disposed, after that session's last writes (a sign-in or sign-out just
   * made, a refresh whose token call was sent) have ended, within their bounds.
   */
  dispose?(): void;
}

/**
 * Mutual exclusion for refreshes among sessions that share a {@link TokenStore}. Without one a
 * session runs its refresh directly: within one session the shared refresh observable already
 * ensures one refresh per generation.
 */
export interface RefreshLock {
  /**
   * Runs `task` while holding the lock: subscribe to it once acquired, release when it
   * completes, errors or is unsubscribed. Unsubscribing while waiting gives up the wait. A lock
   * with a lease (Redis) must keep it alive while the task runs, and must never run two tasks
   * at once across members while the lease holds.
   */
  run<T>(task: () => Observable<T>): Observable<T>;
  /** Releases what the lock holds; `shareStore` calls it once the last session using it is disposed. */
  dispose?(): void;
}

/**
 * How a session joins the state of a {@link TokenStore}: its start from the store, its refreshes
 * under the {@link RefreshLock}, and the sign-ins and sign-outs it writes. Keyed by a symbol so
 * it stays out of an app's way; {@link shareStore} sets it.
 */
export const CONNECT_SESSION: unique symbol = Symbol.for('rx-token-http.connect-session');

/**
 * A store and a lock made ready for sessions to share, given to a session as `share`: made by
 * {@link shareStore} for your own store, or by `shareInMemory()`, `shareAcrossTabs()` and
 * `shareThroughRedis()`. The sharing protocol comes with it, so an app whose sessions share
 * nothing does not load it. One may be given to several sessions: each works on its own, and
 * disposing one never stops the others.
 */
export interface Share {
  readonly store: TokenStore;
  readonly lock: RefreshLock | undefined;
  /**
   * Connects one session to `store` and `lock`: for the session, not for apps. Its argument and
   * result are the session's internals (`SessionContext`, `StoreSync`, or nothing for a share with
   * no medium: the session then shares nothing), kept out of the public types: only
   * `createTokenSession` calls it, once per session.
   */
  readonly [CONNECT_SESSION]: (session: never) => unknown;
}
