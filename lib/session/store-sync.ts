import {
  BehaviorSubject,
  EMPTY,
  Subject,
  Subscription,
  catchError,
  concatMap,
  map,
  race,
  defer,
  filter,
  finalize,
  of,
  retry,
  switchMap,
  take,
  throwError,
  throwIfEmpty,
  timeout,
  timer,
  type Observable,
  type ObservableInput,
} from 'rxjs';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { SharedStateFailure } from './run-refresh.js';
import { adoptIfNewer, ownState, sameTokens, type RefreshOutcome, type SessionContext } from './session-context.js';
import type { SessionState, TokenSet } from './token-set.js';
import type { RefreshLock, TokenStore } from './token-store.js';

/** Where a refresh is, so that a deadline can say what did not answer. */
export interface RefreshPhase {
  current: 'lock' | 'store' | 'token-endpoint';
  /** What the token endpoint answered, once it has: a deadline after that must not drop it. */
  landed?: RefreshOutcome;
}

/** How a flight refreshes: directly, or through the shared store under the lock. */
export interface RefreshPath {
  /** Refreshes `base` with `call` and emits what the session should hold next. */
  refresh(base: SessionState, call: (tokens: TokenSet) => Observable<TokenSet>, phase: RefreshPhase): Observable<RefreshOutcome>;
  /** Writes a state the store did not take during the refresh, once the session holds it. */
  publish?(state: SessionState): void;
}

/** The store side of a sharing session: its start, its refreshes, its sign-ins and sign-outs. */
export interface StoreSync extends RefreshPath {
  /** Emits `true` once the first read of the store answered, failed or timed out. */
  readonly ready$: Observable<boolean>;
  /** Shares a sign-in or sign-out made here: a fenced write outside the lock, tried again when refused. */
  publish(state: SessionState): void;
  dispose(): void;
}

const MAX_WRITE_TRIES = 5;

/** Refreshes without sharing: the new tokens become the next generation. */
export function directRefresh(ctx: SessionContext): RefreshPath {
  return {
    refresh: (base, call) =>
      call(base.tokens as TokenSet).pipe(
        switchMap((tokens) => of<RefreshOutcome>({ state: ownState(ctx, tokens, base.generation + 1, 'refresh'), kind: 'refreshed' })),
        catchError((error: unknown) =>
          error instanceof TokenRevokedError
            ? of<RefreshOutcome>({ state: ownState(ctx, null, base.generation + 1, 'revoked'), kind: 'revoked' })
            : throwError(() => error),
        ),
      ),
  };
}

/**
 * Connects a session to its {@link TokenStore}. Under the lock a refresher re-reads the store
 * and adopts a newer state instead of refreshing (one refresh across members); every write is
 * fenced by the generation it read, so a late writer never replaces a newer state; sign-in and
 * sign-out are written outside the lock, so they win over a refresh in flight anywhere.
 */
export function createStoreSync(ctx: SessionContext, store: TokenStore, lock: RefreshLock | undefined): StoreSync {
  const { scheduler, storeTimeout } = ctx.config;
  const ready$ = new BehaviorSubject(false);
  const publishing = new Subject<SessionState>();
  const subscriptions = new Subscription();
  // Sign-ins and sign-outs of ours still on their way to the store. A refresh waits for them, so
  // this session never races its own writes; notices that arrive meanwhile wait too, since what
  // others wrote before our change reached the store must not undo it.
  const pending$ = new BehaviorSubject(0);
  // The newest notice that arrived while a write of ours was pending.
  let deferred: SessionState | undefined;
  // Our own writes, so that their change notices (which may overtake the write's answer) are not
  // taken for another member's.
  const ownWrites = new Set<string>();

  const storeCall = <T>(what: string, input: () => ObservableInput<T>, limit?: number): Observable<T> => {
    const call$ = defer(input).pipe(
      take(1),
      throwIfEmpty(() => new SharedStateFailure(`The token store's ${what} completed without an answer`)),
      catchError((cause: unknown) => throwError(() => (cause instanceof SharedStateFailure ? cause : new SharedStateFailure(`The token store's ${what} failed${detail(cause)}`, { cause })))),
    );
    if (limit === undefined) return call$;
    return call$.pipe(timeout({ first: limit, with: () => throwError(() => new SharedStateFailure(`The token store's ${what} did not answer within ${limit} ms`)), scheduler }));
  };

  // Fenced write; when the store went back below `expected` (it lost its state), writes again over it.
  const fencedWrite = (next: SessionState, expected: number, limit?: number, tries = 1): Observable<SessionState> =>
    storeCall('write', () => (remember(next), store.write(next, expected)), limit).pipe(
      switchMap((stored) => {
        if (stored.generation >= expected || tries >= MAX_WRITE_TRIES) return of(stored);
        return fencedWrite({ ...next, generation: Math.max(next.generation, stored.generation + 1) }, stored.generation, limit, tries + 1);
      }),
    );

  const underLock = <T>(task: () => Observable<T>): Observable<T> => {
    if (!lock) return defer(task);
    // The task's own errors pass through the lock unchanged; anything else is the lock failing.
    const boxed = () => task().pipe(catchError((error: unknown) => throwError(() => new TaskFailure(error))));
    return defer(() => lock.run(boxed)).pipe(
      throwIfEmpty(() => new SharedStateFailure('The refresh lock completed without running the refresh')),
      catchError((error: unknown) =>
        throwError(() => (error instanceof TaskFailure ? error.error : new SharedStateFailure(`The refresh lock failed${detail(error)}`, { cause: error }))),
      ),
    );
  };

  function refresh(base: SessionState, call: (tokens: TokenSet) => Observable<TokenSet>, phase: RefreshPhase): Observable<RefreshOutcome> {
    const idle$ = pending$.pipe(filter((count) => count === 0), take(1));
    phase.current = 'lock';
    const refreshed$ = idle$.pipe(switchMap(() => underLock(() => {
      phase.current = 'store';
      return storeCall('read', () => store.read()).pipe(switchMap((shared) => refreshOver(base, shared, call, phase)));
    })));
    // Another member's refresh that reaches us while we still wait for the lock settles this one:
    // its waiters go on at once with the adopted tokens instead of queueing for the lock.
    const overtaken$ = ctx.state$.pipe(
      filter((state) => phase.current === 'lock' && state.generation > base.generation && !sameTokens(state.tokens, base.tokens)),
      take(1),
      map((state): RefreshOutcome => ({ state, kind: 'adopted' })),
    );
    return race(refreshed$, overtaken$);
  }

  function refreshOver(base: SessionState, shared: SessionState | null, call: (tokens: TokenSet) => Observable<TokenSet>, phase: RefreshPhase): Observable<RefreshOutcome> {
    // Another member moved on past the generation we hold: take its state, spend nothing.
    if (shared && shared.generation > base.generation && !sameTokens(shared.tokens, base.tokens)) {
      return of({ state: shared, kind: 'adopted' });
    }
    // A sign-in or sign-out here while we waited for the lock: those tokens are not ours to spend.
    if (movedOn(base)) return of({ state: ctx.state$.value, kind: 'adopted' });
    const expected = shared?.generation ?? 0;
    const generation = Math.max(base.generation, expected) + 1;
    phase.current = 'token-endpoint';
    return call(base.tokens as TokenSet).pipe(
      switchMap((tokens) => of(ownState(ctx, tokens, generation, 'refresh'))),
      catchError((error: unknown) => (error instanceof TokenRevokedError ? of(ownState(ctx, null, generation, 'revoked')) : throwError(() => error))),
      // The lock is held until the store answered, so the next holder reads this result.
      switchMap((next) => {
        phase.current = 'store';
        const kind = next.revoked ? 'revoked' : 'refreshed';
        // The app signed in or out during the call: the result is not ours to keep, but the store
        // gets it all the same (fenced), or another member would spend the refresh token it
        // replaced. Our pending sign-in or sign-out is written after it and wins.
        if (movedOn(base)) {
          const current = ctx.state$.value;
          return writeRefreshed(base, next, expected).pipe(
            catchError(() => of(null)),
            map((): RefreshOutcome => ({ state: current, kind: 'adopted' })),
          );
        }
        phase.landed = { state: next, kind, unstored: true };
        return writeRefreshed(base, next, expected).pipe(
          // The old refresh token is spent: keep the answer even when the store cannot take it now.
          catchError((error: unknown) => (error instanceof SharedStateFailure ? of<RefreshOutcome>({ state: next, kind, unstored: true }) : throwError(() => error))),
        );
      }),
    );
  }

  // A refusal by a state that holds the very tokens we refreshed from (our own sign-in, written
  // meanwhile under another number) is no competitor: our result is its successor.
  function writeRefreshed(base: SessionState, next: SessionState, expected: number, tries = 1): Observable<RefreshOutcome> {
    // Tried again while we still hold the lock: the next holder must read this result, not the spent tokens.
    return fencedWrite(next, expected, storeTimeout).pipe(
      retry({ count: MAX_WRITE_TRIES - 1 }),
      switchMap((stored) => {
        const outcome = outcomeOf(next, stored);
        if (outcome.kind !== 'adopted' || !sameTokens(stored.tokens, base.tokens) || stored.revoked || tries >= MAX_WRITE_TRIES) return of(outcome);
        return writeRefreshed(base, { ...next, generation: stored.generation + 1 }, stored.generation, tries + 1);
      }),
    );
  }

  function movedOn(base: SessionState): boolean {
    const local = ctx.state$.value;
    return local.revoked !== base.revoked || !sameTokens(local.tokens, base.tokens);
  }

  function outcomeOf(next: SessionState, stored: SessionState): RefreshOutcome {
    if (stored.generation === next.generation && sameTokens(stored.tokens, next.tokens) && stored.revoked === next.revoked) {
      return { state: next, kind: next.revoked ? 'revoked' : 'refreshed' };
    }
    return { state: stored, kind: 'adopted' };
  }

  // One sign-in or sign-out at a time, in order; each stops as soon as the session moved on.
  function publishOnce(state: SessionState, tries = 1): Observable<unknown> {
    if (ctx.state$.value !== state) return EMPTY;
    return storeCall('read', () => store.read(), storeTimeout).pipe(
      switchMap((shared) => {
        const expected = shared?.generation ?? 0;
        const next = { ...state, generation: Math.max(state.generation, expected + 1) };
        return fencedWrite(next, expected, storeTimeout).pipe(switchMap((stored) => settlePublish(state, next, stored, tries)));
      }),
    );
  }

  function settlePublish(state: SessionState, next: SessionState, stored: SessionState, tries: number): Observable<unknown> {
    const written = stored.generation === next.generation && sameTokens(stored.tokens, next.tokens);
    if (!written && laterUserChange(stored, state)) {
      // Another member's sign-in or sign-out, made after ours: the user's last word wins.
      if (ctx.state$.value === state) ctx.state$.next(stored);
      return EMPTY;
    }
    if (!written) return tries < MAX_WRITE_TRIES ? publishOnce(state, tries + 1) : throwError(() => new SharedStateFailure('The token store kept refusing the write'));
    if (ctx.state$.value === state) {
      if (next.generation !== state.generation) {
        ctx.renumbered.set(state.generation, next.generation);
        ctx.state$.next(next);
      }
    }
    return EMPTY;
  }

  function remember(state: SessionState): void {
    ownWrites.add(writeKey(state));
    if (ownWrites.size > 8) ownWrites.delete(ownWrites.values().next().value as string);
  }

  // Requests wait for the first read at most `storeTimeout`; a later answer is still taken
  // while the session has not changed since, so a slow store never loses to stale config tokens.
  function start(initial: SessionState): void {
    const read$ = storeCall('read', () => store.read()).pipe(
      switchMap((shared) => {
        if (ctx.state$.value !== initial) return EMPTY; // the app signed in or out meanwhile: its write decides
        if (shared) ctx.state$.next(shared);
        else if (initial.tokens) publishStart(initial);
        return EMPTY;
      }),
      // A store that cannot be read may hold a newer state: start from our tokens without writing
      // them; the first refresh reads the store again under the lock.
      catchError(() => EMPTY),
      finalize(() => ready$.next(true)),
    );
    subscriptions.add(read$.subscribe());
    subscriptions.add(timer(storeTimeout, scheduler).subscribe(() => ready$.next(true)));
  }

  // The `tokens` of the config count only while the store is empty: one fenced write, and what
  // refused it (another member got there first) is adopted instead.
  function publishStart(initial: SessionState): void {
    pending$.next(pending$.value + 1);
    const next = { ...initial, generation: 1 };
    const start$ = fencedWrite(next, 0, storeTimeout).pipe(
      switchMap((stored) => {
        if (ctx.state$.value !== initial) return EMPTY;
        if (sameTokens(stored.tokens, next.tokens) && stored.generation === next.generation) {
          ctx.renumbered.set(initial.generation, next.generation);
          ctx.state$.next(next);
        } else {
          ctx.state$.next(stored);
        }
        return EMPTY;
      }),
      retry({ count: MAX_WRITE_TRIES - 1 }),
      catchError(() => EMPTY),
      finalize(settled),
    );
    subscriptions.add(start$.subscribe());
  }

  function publish(state: SessionState): void {
    pending$.next(pending$.value + 1);
    publishing.next(state);
  }

  // A write of ours is done, written or given up on: once none is left, a deferred notice counts
  // when it is newer than what we wrote (after any renumbering).
  function settled(): void {
    if (pending$.value === 1 && deferred) {
      const notice = deferred;
      deferred = undefined;
      adoptIfNewer(ctx, notice);
    }
    pending$.next(pending$.value - 1);
  }

  function onNotice(shared: SessionState): void {
    if (ownWrites.has(writeKey(shared))) return;
    // While a sign-in or sign-out of ours is on its way to the store, it wins over what others did before it.
    if (pending$.value === 0) adoptIfNewer(ctx, shared);
    else if (shared.generation > (deferred?.generation ?? -1)) deferred = shared;
  }

  subscriptions.add(
    publishing
      .pipe(
        concatMap((state) =>
          publishOnce(state).pipe(
            // A store that failed or did not answer gets a few more tries; after them the change
            // stays ours only, and the next refresh under the lock writes it.
            retry({ count: MAX_WRITE_TRIES - 1 }),
            catchError(() => EMPTY),
            finalize(settled),
          ),
        ),
      )
      .subscribe(),
  );
  if (store.changes$) {
    subscriptions.add(store.changes$.pipe(catchError(() => EMPTY)).subscribe(onNotice));
  }
  start(ctx.state$.value);

  return {
    ready$: ready$.asObservable(),
    refresh,
    publish,
    dispose() {
      subscriptions.unsubscribe();
      ready$.complete();
      store.dispose?.();
      lock?.dispose?.();
    },
  };
}

function laterUserChange(stored: SessionState, ours: SessionState): boolean {
  return (stored.change === 'sign-in' || stored.change === 'sign-out') && stored.receivedAt > ours.receivedAt;
}

function writeKey(state: SessionState): string {
  return `${state.generation}:${state.revoked}:${state.tokens?.accessToken ?? ''}:${state.tokens?.refreshToken ?? ''}`;
}

// The store's or lock's own words (they name Redis, the tabs...), which hold no token.
function detail(cause: unknown): string {
  return cause instanceof Error && cause.message ? `: ${cause.message}` : '';
}

class TaskFailure {
  constructor(readonly error: unknown) {}
}
