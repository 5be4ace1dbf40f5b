import { BehaviorSubject, catchError, defer, filter, finalize, map, of, race, retry, switchMap, take, tap, throwError, type Observable } from 'rxjs';
import { StoreFailure, outlive, toNextState, type RefreshPhase } from '../refresh-steps.js';
import { applyOutcome, sameTokens, type RefreshOutcome, type SessionContext } from '../session-context.js';
import { MAX_WRITE_TRIES, type StoreAccess } from './store-access.js';
import type { SessionState, TokenSet } from '../token-set.js';

/**
 * One refresh through the shared store, under the lock: re-read the store and adopt a newer
 * state instead of refreshing (one refresh across members), else refresh and write the result
 * fenced by the generation read, before the lock is let go so the next holder reads it.
 * `idle$` emits when no sign-in or sign-out of this session is still on its way to the store.
 */
export class LockedRefresh {
  // Refreshes in the lock's critical section or waiting for it; after a stop, only those that
  // outlive it (see `refresh`).
  private readonly sections$ = new BehaviorSubject(0);

  constructor(
    private readonly ctx: SessionContext,
    private readonly access: StoreAccess,
    private readonly idle$: Observable<unknown>,
  ) {}

  refresh(base: SessionState, call: (tokens: TokenSet | null) => Observable<TokenSet>, phase: RefreshPhase): Observable<RefreshOutcome> {
    phase.current = 'lock';
    const { scheduler } = this.ctx.config;
    const sections$ = this.sections$;
    const refreshed$ = defer(() => (sections$.next(sections$.value + 1), this.idle$)).pipe(
      take(1),
      switchMap(() =>
        this.access.underLock(() => {
          phase.current = 'store';
          return this.access.read().pipe(switchMap((shared) => this.refreshOver(base, shared, call, phase)));
        }),
      ),
      finalize(() => sections$.next(sections$.value - 1)),
      tap((outcome) => this.landedDetached(base, outcome, phase)),
      // A refresh token is spent once the call reaches the server, not when the answer comes. From
      // the call's send, a deadline, sign-out or dispose answers the waiters but leaves the call
      // (its current attempt) and the write under the lock to finish: cut, it would let the next
      // holder read and send the spent refresh token again, and reuse detection revokes everyone.
      outlive(() => this.detach(phase), scheduler),
    );
    // Another member's refresh that reaches us while we still wait for the lock settles this one:
    // its waiters go on at once with the adopted tokens instead of queueing for the lock.
    const overtaken$ = this.ctx.state$.pipe(
      filter((state) => phase.current === 'lock' && state.generation > base.generation && !sameTokens(state.tokens, base.tokens)),
      take(1),
      map((state): RefreshOutcome => ({ state, kind: 'adopted' })),
    );
    return race(refreshed$, overtaken$);
  }

  /**
   * How long a stopped refresh may run on: the store write's tries once the answer landed, plus
   * the call's own `refreshTimeout` while it is still out; nothing before the call was sent.
   */
  private detach(phase: RefreshPhase): number | undefined {
    const { storeTimeout, refreshTimeout } = this.ctx.config;
    if (phase.landed === undefined && !phase.sent) return undefined;
    phase.detached = true;
    return storeTimeout * MAX_WRITE_TRIES + (phase.landed === undefined ? refreshTimeout : 0);
  }

  // A refresh whose steps outlived it (its deadline ran out while the token call was out) and
  // was stored: the other members adopt it from the store's notice, but this session would ignore
  // the notice as its own write and keep the refresh token it just spent. Take it here too, unless
  // the session moved on (a sign-in, sign-out or dispose: then the store has it for the others only).
  private landedDetached(base: SessionState, outcome: RefreshOutcome, phase: RefreshPhase): void {
    const { ctx } = this;
    if (!phase.detached || ctx.disposed || this.movedOn(base) || outcome.state.generation <= ctx.state$.value.generation) return;
    applyOutcome(ctx, outcome);
  }

  /** Runs `then` once no refresh's steps are left running after it, e.g. to dispose the store after it. */
  whenSettled(then: () => void): void {
    this.sections$.pipe(filter((count) => count === 0), take(1)).subscribe(then);
  }

  private refreshOver(base: SessionState, shared: SessionState | null, call: (tokens: TokenSet | null) => Observable<TokenSet>, phase: RefreshPhase): Observable<RefreshOutcome> {
    // Another member moved on past the generation we hold: take its state, spend nothing.
    if (shared && shared.generation > base.generation && !sameTokens(shared.tokens, base.tokens)) return of({ state: shared, kind: 'adopted' });
    // A sign-in or sign-out here while we waited for the lock: those tokens are not ours to spend.
    if (this.movedOn(base)) return of({ state: this.ctx.state$.value, kind: 'adopted' });
    const expected = shared?.generation ?? 0;
    phase.current = 'token-endpoint';
    return call(base.tokens).pipe(
      toNextState(this.ctx, Math.max(base.generation, expected) + 1, base),
      switchMap((next) => {
        phase.current = 'store';
        return this.movedOn(base) ? this.storeOvertaken(base, next, expected, phase) : this.storeOwn(base, next, expected, phase);
      }),
    );
  }

  private storeOwn(base: SessionState, next: SessionState, expected: number, phase: RefreshPhase): Observable<RefreshOutcome> {
    const kind = next.revoked ? 'revoked' : 'refreshed';
    phase.landed = { state: next, kind, unstored: true };
    return this.writeRefreshed(base, next, expected).pipe(
      // The old refresh token is spent: keep the answer even when the store cannot take it now.
      catchError((error: unknown) => (error instanceof StoreFailure ? of<RefreshOutcome>({ state: next, kind, unstored: true }) : throwError(() => error))),
    );
  }

  // The app signed in or out during the call: the result is not ours to keep, but the store gets
  // it all the same (fenced), or another member would spend the refresh token it replaced. Our
  // pending sign-in or sign-out is written after it and wins.
  private storeOvertaken(base: SessionState, next: SessionState, expected: number, phase: RefreshPhase): Observable<RefreshOutcome> {
    const current = this.ctx.state$.value;
    phase.landed = { state: current, kind: 'adopted' };
    return this.writeRefreshed(base, next, expected).pipe(
      catchError(() => of(null)),
      map((): RefreshOutcome => ({ state: current, kind: 'adopted' })),
    );
  }

  // Tried again while we still hold the lock: the next holder must read this result, not the
  // spent tokens. A refusal by a state that holds the very tokens we refreshed from (our own
  // sign-in, written meanwhile under another number) is no competitor: our result succeeds it.
  private writeRefreshed(base: SessionState, next: SessionState, expected: number, tries = 1): Observable<RefreshOutcome> {
    return this.access.fencedWrite(next, expected, this.ctx.config.storeTimeout).pipe(
      retry({ count: MAX_WRITE_TRIES - 1 }),
      switchMap((stored) => {
        const outcome = outcomeOf(next, stored);
        if (outcome.kind !== 'adopted' || !sameTokens(stored.tokens, base.tokens) || stored.revoked || tries >= MAX_WRITE_TRIES) return of(outcome);
        return this.writeRefreshed(base, { ...next, generation: stored.generation + 1 }, stored.generation, tries + 1);
      }),
    );
  }

  private movedOn(base: SessionState): boolean {
    const local = this.ctx.state$.value;
    return local.revoked !== base.revoked || !sameTokens(local.tokens, base.tokens);
  }
}

function outcomeOf(next: SessionState, stored: SessionState): RefreshOutcome {
  if (stored.generation === next.generation && sameTokens(stored.tokens, next.tokens) && stored.revoked === next.revoked) {
    return { state: next, kind: next.revoked ? 'revoked' : 'refreshed' };
  }
  return { state: stored, kind: 'adopted' };
}
