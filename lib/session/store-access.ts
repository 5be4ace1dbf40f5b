import { catchError, defer, of, switchMap, take, throwError, throwIfEmpty, timeout, type Observable, type ObservableInput } from 'rxjs';
import { SharedStateFailure } from './run-refresh.js';
import type { SessionContext } from './session-context.js';
import type { SessionState } from './token-set.js';
import type { RefreshLock, TokenStore } from './token-store.js';

/** How many times a write is tried before it counts as failed. */
export const MAX_WRITE_TRIES = 5;

/**
 * The calls a session makes to its store and lock, each turned into a {@link SharedStateFailure}
 * when it fails, completes empty or (with a limit) does not answer in time.
 */
export interface StoreAccess {
  read(limit?: number): Observable<SessionState | null>;
  /** Fenced write; when the store went back below `expected` (it lost its state), writes again over it. */
  fencedWrite(next: SessionState, expected: number, limit?: number): Observable<SessionState>;
  /** Runs `task` under the lock (directly without one); the task's own errors pass through unchanged. */
  underLock<T>(task: () => Observable<T>): Observable<T>;
  /** Whether a change notice is the echo of one of our own writes (it may overtake the write's answer). */
  isOwnWrite(state: SessionState): boolean;
}

/** Says on `events$` that the store failed outside a refresh; the session goes on without it. */
export function reportStoreFailure(ctx: SessionContext, operation: 'read' | 'write' | 'changes', error: unknown): void {
  const failure = error instanceof SharedStateFailure ? error : new SharedStateFailure(`The token store's ${operation === 'changes' ? 'change notices' : operation} failed`, { cause: error });
  ctx.events.next({ type: 'store-failed', operation, error: failure });
}

export function createStoreAccess(ctx: SessionContext, store: TokenStore, lock: RefreshLock | undefined): StoreAccess {
  const { scheduler } = ctx.config;
  const ownWrites = new Set<string>();

  const call = <T>(what: string, input: () => ObservableInput<T>, limit?: number): Observable<T> => {
    const call$ = defer(input).pipe(
      take(1),
      throwIfEmpty(() => new SharedStateFailure(`The token store's ${what} completed without an answer`)),
      catchError((cause: unknown) => throwError(() => (cause instanceof SharedStateFailure ? cause : new SharedStateFailure(`The token store's ${what} failed${detail(cause)}`, { cause })))),
    );
    if (limit === undefined) return call$;
    return call$.pipe(timeout({ first: limit, with: () => throwError(() => new SharedStateFailure(`The token store's ${what} did not answer within ${limit} ms`)), scheduler }));
  };

  const fencedWrite = (next: SessionState, expected: number, limit?: number, tries = 1): Observable<SessionState> =>
    call('write', () => (remember(next), store.write(next, expected)), limit).pipe(
      switchMap((stored) => {
        if (stored.generation >= expected || tries >= MAX_WRITE_TRIES) return of(stored);
        return fencedWrite({ ...next, generation: Math.max(next.generation, stored.generation + 1) }, stored.generation, limit, tries + 1);
      }),
    );

  function remember(state: SessionState): void {
    ownWrites.add(writeKey(state));
    if (ownWrites.size > 8) ownWrites.delete(ownWrites.values().next().value as string);
  }

  return {
    read: (limit) => call('read', () => store.read(), limit),
    fencedWrite: (next, expected, limit) => fencedWrite(next, expected, limit),
    underLock<T>(task: () => Observable<T>): Observable<T> {
      if (!lock) return defer(task);
      const boxed = () => task().pipe(catchError((error: unknown) => throwError(() => new TaskFailure(error))));
      return defer(() => lock.run(boxed)).pipe(
        throwIfEmpty(() => new SharedStateFailure('The refresh lock completed without running the refresh')),
        catchError((error: unknown) =>
          throwError(() => (error instanceof TaskFailure ? error.error : new SharedStateFailure(`The refresh lock failed${detail(error)}`, { cause: error }))),
        ),
      );
    },
    isOwnWrite: (state) => ownWrites.has(writeKey(state)),
  };
}

function writeKey(state: SessionState): string {
  return `${state.generation}:${state.revoked}:${state.tokens?.accessToken ?? ''}:${state.tokens?.refreshToken ?? ''}`;
}

// The store's or lock's own words (they name Redis, the tabs...), which hold no token.
function detail(cause: unknown): string {
  return cause instanceof Error && cause.message ? `: ${cause.message}` : '';
}

// Marks the task's own errors, so that only the lock's own failures become SharedStateFailures.
class TaskFailure {
  constructor(readonly error: unknown) {}
}
