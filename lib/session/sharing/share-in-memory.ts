import { Observable, Subject, asapScheduler, defer, of, type Subscription } from 'rxjs';
import { runThenRelease } from '../../util/run-then-release.js';
import type { SessionState } from '../token-set.js';
import { shareStore } from './share-store.js';
import type { RefreshLock, Share, TokenStore } from '../token-store.js';

/**
 * A {@link TokenStore} and {@link RefreshLock} in this process's memory, for several sessions
 * of one user in one process (and for tests of the sharing protocol, marble tests included):
 * writes are fenced by generation, change notices arrive asynchronously as from a real store
 * (on `asapScheduler`, so under `TestScheduler.run` in virtual time), and the lock is a
 * first-come first-served mutex that grants at once when free, with no promise in between.
 * For tabs use `rx-token-http/tabs`, for processes `rx-token-http/redis`.
 *
 * Give one result to as many sessions as you like, and dispose them in any order: the state
 * lives as long as the result, so a session created after the others were disposed starts
 * from it. Never give one result to sessions of different users (a module-level config that
 * every server request reuses): they would share tokens.
 *
 * @example
 * const share = shareInMemory();
 * const a = createTokenSession({ refresh, tokens, share });
 * const b = createTokenSession({ refresh, share }); // starts from a's tokens
 */
export function shareInMemory(): Share & { readonly lock: RefreshLock; readonly current: SessionState | null } {
  let current: SessionState | null = null;
  const changes = new Subject<SessionState>();
  const store: TokenStore = {
    read: () => defer(() => of(current)),
    write: (next, expected) =>
      defer(() => {
        if ((current?.generation ?? 0) === expected && next.generation > expected) {
          current = next;
          asapScheduler.schedule(() => changes.next(next));
        }
        return of(current as SessionState);
      }),
    changes$: changes.asObservable(),
  };
  // Defined, not spread: `current` is read when asked.
  return Object.defineProperty(shareStore(store, createMutex()), 'current', { get: () => current, enumerable: true }) as Share & {
    readonly lock: RefreshLock;
    readonly current: SessionState | null;
  };
}

/**
 * First come, first served, synchronously: a free lock runs the task in the subscribe call, and
 * the end of a task starts the next waiter's at once. No promise, so it works in virtual time.
 */
function createMutex(): RefreshLock {
  const waiting: (() => void)[] = [];
  let held = false;
  let granting = false;
  // One grant at a time, in a loop: a task that ends in its own subscribe call does not recurse.
  const grant = (): void => {
    if (granting) return;
    granting = true;
    while (!held && waiting.length > 0) (waiting.shift() as () => void)();
    granting = false;
  };
  return {
    run: <T>(task: () => Observable<T>) =>
      new Observable<T>((subscriber) => {
        let inner: Subscription | undefined;
        let holding = false;
        const release = (): void => {
          if (!holding) return;
          holding = held = false;
          grant();
        };
        const start = (): void => {
          held = holding = true;
          inner = runThenRelease(task, subscriber, release);
        };
        waiting.push(start);
        grant();
        return () => {
          inner?.unsubscribe();
          const queued = waiting.indexOf(start);
          if (queued >= 0) waiting.splice(queued, 1);
          release();
        };
      }),
  };
}
