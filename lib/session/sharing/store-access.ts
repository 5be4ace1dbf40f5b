import { catchError, defer, filter, map, of, switchMap, take, throwError, throwIfEmpty, timeout, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import { checkSessionState } from './check-session-state.js';
import { StoreFailure } from '../refresh-steps.js';
import type { SessionContext } from '../session-context.js';
import type { SessionState } from '../token-set.js';
import type { RefreshLock, TokenStore } from '../token-store.js';

/** How many times a write is tried before it counts as failed. */
export const MAX_WRITE_TRIES = 5;

/**
 * The calls a session makes to its store and lock, each turned into a {@link StoreFailure}
 * when it fails, completes empty or (with a limit) does not answer in time. The one door through
 * which states enter from the store: every answer and notice passes `checkSessionState` here, and
 * one that does not is a failure naming the field, never a state the session guesses from.
 */
export interface StoreAccess {
  /**
   * The store's state. One older than this session's is the store having lost its state (a
   * flushed Redis): the caller writes over it, fenced at the generation read.
   */
  read(limit?: number): Observable<SessionState | null>;
  /**
   * Fenced write. It answers what the store holds afterwards: `next`, or a state newer than
   * `expected` that refused it. When the store went back below `expected` (it lost its state),
   * writes again over it, and fails when it stays there; an answer at `expected` itself (the
   * store refused without a newer state) is a failure too.
   */
  fencedWrite(next: SessionState, expected: number, limit?: number): Observable<SessionState>;
  /**
   * The store's change notices, checked: an invalid one is dropped and handed to `invalid` (the
   * session goes on listening). Notices older than the session's state are the caller's to ignore.
   */
  changes(invalid: (failure: StoreFailure) => void): Observable<SessionState> | undefined;
  /** Runs `task` under the lock (directly without one); the task's own errors pass through unchanged. */
  underLock<T>(task: () => Observable<T>): Observable<T>;
  /** Whether a change notice is the echo of one of our own writes (it may overtake the write's answer). */
  isOwnWrite(state: SessionState): boolean;
}

/**
 * A store answer that is no valid state. Said on `events$` at every try outside a refresh, since
 * the try after it may succeed and would otherwise hide that the store holds or sends bad data.
 */
export class InvalidStoreAnswer extends StoreFailure {
  constructor(
    readonly operation: 'read' | 'write',
    message: string,
  ) {
    super(message);
  }
}

/** Says on `events$` that the store failed outside a refresh; the session goes on without it. */
export function reportStoreFailure(ctx: SessionContext, operation: 'read' | 'write' | 'changes', error: unknown): void {
  const failure = error instanceof StoreFailure ? error : new StoreFailure(`The token store's ${operation === 'changes' ? 'change notices' : operation} failed`, { cause: error });
  ctx.events.next({ type: 'store-failed', operation, error: failure });
}

export function createStoreAccess(ctx: SessionContext, store: TokenStore, lock: RefreshLock | undefined): StoreAccess {
  const { scheduler } = ctx.config;
  const ownWrites = new Set<string>();

  const call = <T>(what: string, input: () => ObservableInput<T>, limit?: number): Observable<T> => {
    const call$ = defer(input).pipe(
      take(1),
      throwIfEmpty(() => new StoreFailure(`The token store's ${what} completed without an answer`)),
      catchError((cause: unknown) => throwError(() => (cause instanceof StoreFailure ? cause : new StoreFailure(`The token store's ${what} failed${detail(cause)}`, { cause })))),
    );
    if (limit === undefined) return call$;
    return call$.pipe(timeout({ first: limit, with: () => throwError(() => new StoreFailure(`The token store's ${what} did not answer within ${limit} ms`)), scheduler }));
  };

  const fencedWrite = (next: SessionState, expected: number, limit?: number, tries = 1): Observable<SessionState> =>
    call('write', () => (remember(next), store.write(next, expected)), limit).pipe(
      map(checked('write', scheduler)),
      switchMap((stored) => {
        if (stored.generation > expected) return of(stored); // `next` itself, or a newer state that refused it
        const failure = refusalFailure(stored.generation, expected, tries);
        return failure ? throwError(() => failure) : fencedWrite({ ...next, generation: Math.max(next.generation, stored.generation + 1) }, stored.generation, limit, tries + 1);
      }),
    );

  function remember(state: SessionState): void {
    ownWrites.add(writeKey(state));
    if (ownWrites.size > 8) ownWrites.delete(ownWrites.values().next().value as string);
  }

  return {
    read: (limit) => call('read', () => store.read(), limit).pipe(map((answer) => (answer === null ? null : checked('read', scheduler)(answer)))),
    fencedWrite: (next, expected, limit) => fencedWrite(next, expected, limit),
    changes: (invalid) => checkedChanges(store, scheduler, invalid),
    underLock<T>(task: () => Observable<T>): Observable<T> {
      if (!lock) return defer(task);
      const boxed = () => task().pipe(catchError((error: unknown) => throwError(() => new TaskFailure(error))));
      return defer(() => lock.run(boxed)).pipe(
        throwIfEmpty(() => new StoreFailure('The refresh lock completed without running the refresh')),
        catchError((error: unknown) =>
          throwError(() => (error instanceof TaskFailure ? error.error : new StoreFailure(`The refresh lock failed${detail(error)}`, { cause: error }))),
        ),
      );
    },
    isOwnWrite: (state) => ownWrites.has(writeKey(state)),
  };
}

/** A store's answer through `checkSessionState`: a StoreFailure naming the field when it is no valid state. */
function checked(what: 'read' | 'write', scheduler: SchedulerLike): (answer: unknown) => SessionState {
  return (answer) => {
    const state = checkSessionState(answer, scheduler.now());
    if (typeof state === 'string') throw new InvalidStoreAnswer(what, `The token store's ${what} answered an invalid state: ${state}`);
    return state;
  };
}

/**
 * A write refused by a state no newer than `expected`: below it, the store lost its state and is
 * written over (a few times); at `expected` itself, the store had no reason to refuse.
 */
function refusalFailure(generation: number, expected: number, tries: number): StoreFailure | undefined {
  if (generation === expected) return new StoreFailure(`The token store refused a write at generation ${expected} while holding that generation`);
  if (tries < MAX_WRITE_TRIES) return undefined;
  return new StoreFailure(`The token store kept answering generation ${generation}, older than the ${expected} it was asked to replace`);
}

function checkedChanges(store: TokenStore, scheduler: SchedulerLike, invalid: (failure: StoreFailure) => void): Observable<SessionState> | undefined {
  return store.changes$?.pipe(
    map((notice: unknown) => {
      const state = checkSessionState(notice, scheduler.now());
      return typeof state === 'string' ? invalid(new StoreFailure(`The token store sent an invalid change notice: ${state}`)) : state;
    }),
    filter((state): state is SessionState => state !== undefined),
  );
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
