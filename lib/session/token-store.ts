import type { Observable, ObservableInput } from 'rxjs';
import type { SessionState } from './token-set.js';

/**
 * Where a session's state is shared beyond this session object: another browser tab, another
 * server process. The session keeps its own copy in memory; without a store it shares nothing.
 *
 * Before refreshing, the session reads the store while holding the {@link RefreshLock}: when
 * another holder already moved to a newer generation, the session adopts that state instead of
 * refreshing again (one refresh across the fleet).
 */
export interface TokenStore {
  /** The shared state, or `null` when nothing was stored yet. */
  read(): ObservableInput<SessionState | null>;
  /** Replaces the shared state as one value. */
  write(state: SessionState): ObservableInput<unknown>;
  /** States written by others; the session adopts those with a newer generation. */
  readonly changes$?: Observable<SessionState>;
}

/**
 * Mutual exclusion for refreshes among sessions that share a {@link TokenStore}. The default
 * runs the task directly: within one session the shared refresh observable already ensures one
 * refresh per generation.
 */
export interface RefreshLock {
  /**
   * Runs `task` while holding the lock: subscribe to it once acquired, release when it
   * completes, errors or is unsubscribed.
   */
  run<T>(task: () => Observable<T>): Observable<T>;
}
