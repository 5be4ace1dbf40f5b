import { Observable, Subject, defer, of, type Subscription } from 'rxjs';
import type { SessionState } from './token-set.js';
import { shareStore } from './share-store.js';
import type { RefreshLock, SharedState, TokenStore } from './token-store.js';

/**
 * A {@link TokenStore} and {@link RefreshLock} in this process's memory, for several sessions
 * of one user in one process (and for tests of the sharing protocol): writes are fenced by
 * generation, change notices arrive asynchronously as from a real store, and the lock is a FIFO
 * mutex. For tabs use `rx-token-http/tabs`, for processes `rx-token-http/redis`.
 *
 * @example
 * const share = shareInMemory();
 * const a = createTokenSession({ refresh, tokens, share });
 * const b = createTokenSession({ refresh, share }); // starts from a's tokens
 */
export function shareInMemory(): SharedState & { readonly lock: RefreshLock; readonly current: SessionState | null } {
  let current: SessionState | null = null;
  const changes = new Subject<SessionState>();
  const store: TokenStore = {
    read: () => defer(() => of(current)),
    write: (next, expected) =>
      defer(() => {
        if ((current?.generation ?? 0) === expected && next.generation > expected) {
          current = next;
          queueMicrotask(() => changes.next(next));
        }
        return of(current as SessionState);
      }),
    changes$: changes.asObservable(),
  };
  // Defined, not spread: `current` is read when asked.
  return Object.defineProperty(shareStore(store, createMutex()), 'current', { get: () => current, enumerable: true }) as SharedState & { readonly lock: RefreshLock; readonly current: SessionState | null };
}

// First come, first served: each task starts when the one before it has ended.
function createMutex(): RefreshLock {
  let tail: Promise<void> = Promise.resolve();
  return {
    run: <T>(task: () => Observable<T>) =>
      new Observable<T>((subscriber) => {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const previous = tail;
        tail = previous.then(() => held);
        let inner: Subscription | undefined;
        let closed = false;
        void previous.then(() => {
          if (closed) return release();
          inner = task().subscribe({
            next: (value) => subscriber.next(value),
            error: (error: unknown) => {
              release();
              subscriber.error(error);
            },
            complete: () => {
              release();
              subscriber.complete();
            },
          });
        });
        return () => {
          closed = true;
          inner?.unsubscribe();
          release();
        };
      }),
  };
}
