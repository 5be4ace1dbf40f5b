import { BehaviorSubject, EMPTY, Subject, Subscription, catchError, concatMap, filter, finalize, of, race, retry, switchMap, take, throwError, timer, type Observable } from 'rxjs';
import { StoreFailure } from '../refresh-steps.js';
import { adoptIfNewer, applyOutcome, isWritten, sameTokens, type SessionContext } from '../session-context.js';
import { InvalidStoreAnswer, MAX_WRITE_TRIES, reportStoreFailure, type StoreAccess } from './store-access.js';
import type { SessionState } from '../token-set.js';

/** How many `storeTimeout`s a pending sign-in or sign-out write may outlive `dispose()`. */
export const PUBLISH_BOUND = 2 * MAX_WRITE_TRIES;

/**
 * Writes this session's sign-ins and sign-outs to the store, one at a time and in order:
 * outside the lock, fenced, tried again when refused, so they win over a refresh in flight
 * anywhere. Each is written as a new generation over whatever the store holds (even when it
 * seems to agree already): the store orders user changes, and the one that reaches it last is
 * the last word (rule 18), never a member's clock. While one is on its way, notices from
 * other members wait: what others wrote before our change reached the store must not undo it.
 */
export class StorePublisher {
  private readonly pending$ = new BehaviorSubject(0);
  private readonly publishing = new Subject<SessionState>();
  private readonly subscriptions = new Subscription();
  private deferred: SessionState | undefined;
  /** Emits once no write of this session is pending. */
  readonly idle$ = this.pending$.pipe(filter((count) => count === 0));

  /** Whether a write of this session is pending. */
  get pending(): boolean {
    return this.pending$.value > 0;
  }

  constructor(
    private readonly ctx: SessionContext,
    private readonly access: StoreAccess,
  ) {
    const written$ = this.publishing.pipe(
      concatMap((state) =>
        this.tried(this.publishOnce(state)),
      ),
    );
    this.subscriptions.add(written$.subscribe());
  }

  /** Shares a sign-in or sign-out made here. */
  publish(state: SessionState): void {
    this.pending$.next(this.pending$.value + 1);
    this.publishing.next(state);
  }

  /** Writes the config's `tokens` into an empty store; adopts what another member wrote first. */
  publishStart(initial: SessionState): void {
    this.pending$.next(this.pending$.value + 1);
    const next = { ...initial, generation: 1 };
    const start$ = this.access.fencedWrite(next, 0, this.ctx.config.storeTimeout).pipe(
      switchMap((stored) => {
        if (this.ctx.state$.value !== initial) return EMPTY;
        // Our tokens, whichever member wrote them first (the same sign-in, rule 18).
        const written = sameTokens(stored.tokens, next.tokens) && stored.generation === next.generation;
        if (written) this.ctx.renumbered.set(initial.generation, next.generation);
        // Our tokens, written by whichever member came first: the store's sign-in id is the one all share.
        this.ctx.state$.next(written ? { ...next, signIn: stored.signIn } : stored);
        return EMPTY;
      }),
    );
    this.subscriptions.add(this.tried(start$).subscribe());
  }

  // A store that failed or did not answer gets a few more tries; after them the change stays
  // ours only (said as `store-failed`), and the next refresh under the lock writes it. An invalid
  // answer is said at every try, even when a later one gets through: the store holds bad data.
  private tried(write$: Observable<unknown>): Observable<unknown> {
    return write$.pipe(
      retry({ count: MAX_WRITE_TRIES - 1, delay: (error: unknown) => (error instanceof InvalidStoreAnswer && reportStoreFailure(this.ctx, error.operation, error), of(0)) }),
      catchError((error: unknown) => {
        reportStoreFailure(this.ctx, error instanceof InvalidStoreAnswer ? error.operation : 'write', error);
        return EMPTY;
      }),
      finalize(() => this.settled()),
    );
  }

  /** A change notice from the store. */
  notice(shared: SessionState): void {
    if (this.access.isOwnWrite(shared)) return;
    if (this.pending$.value === 0) adoptIfNewer(this.ctx, shared);
    else if (shared.generation > (this.deferred?.generation ?? -1)) this.deferred = shared;
  }

  /**
   * Stops, once the writes still on their way have ended (within {@link PUBLISH_BOUND}
   * `storeTimeout`s): a sign-in or sign-out outlives a `dispose()` right after it. Then `then`.
   */
  dispose(then: () => void): void {
    const { storeTimeout, scheduler } = this.ctx.config;
    race(this.idle$, timer(PUBLISH_BOUND * storeTimeout, scheduler))
      .pipe(take(1))
      .subscribe(() => {
        this.subscriptions.unsubscribe();
        then();
      });
  }

  // Each stops as soon as the session moved on.
  private publishOnce(state: SessionState, tries = 1): Observable<unknown> {
    if (this.ctx.state$.value !== state) return EMPTY;
    const { storeTimeout } = this.ctx.config;
    return this.access.read(storeTimeout).pipe(
      switchMap((shared) => {
        if (shared && !isUserChange(state)) {
          // A refresh result the store did not take during the refresh. Already there (its write
          // under the lock outlived the deadline): nothing to add. The store moved past it
          // (a newer change of another member, by the store's own count): never write over it.
          if (sameTokens(shared.tokens, state.tokens) && shared.revoked === state.revoked) return this.settle(state, shared, shared, tries);
          if (shared.generation >= state.generation) return this.yieldTo(state, shared);
        }
        const expected = shared?.generation ?? 0;
        const next = { ...state, generation: Math.max(state.generation, expected + 1) };
        return this.access.fencedWrite(next, expected, storeTimeout).pipe(switchMap((stored) => this.settle(state, next, stored, tries)));
      }),
    );
  }

  // Refused: another member's write reached the store between our read and our write. Read
  // again and write after it: ours reaches the store last, so it is the last word.
  private settle(state: SessionState, next: SessionState, stored: SessionState, tries: number): Observable<unknown> {
    const { ctx } = this;
    const written = isWritten(stored, next);
    if (!written) return tries < MAX_WRITE_TRIES ? this.publishOnce(state, tries + 1) : throwError(() => new StoreFailure('The token store kept refusing the write'));
    if (ctx.state$.value === state && next.generation !== state.generation) {
      ctx.renumbered.set(state.generation, next.generation);
      ctx.state$.next(next);
    }
    return EMPTY;
  }

  // A refresh result of ours that the store moved past: take what it holds.
  private yieldTo(state: SessionState, later: SessionState): Observable<never> {
    if (this.ctx.state$.value === state) applyOutcome(this.ctx, { state: later, kind: 'adopted' });
    return EMPTY;
  }

  // A write of ours is done, written or given up on: once none is left, a deferred notice counts
  // when it is newer than what we wrote (after any renumbering).
  private settled(): void {
    if (this.pending$.value === 1 && this.deferred) {
      const notice = this.deferred;
      this.deferred = undefined;
      adoptIfNewer(this.ctx, notice);
    }
    this.pending$.next(this.pending$.value - 1);
  }
}

function isUserChange(state: SessionState): boolean {
  return state.change === 'sign-in' || state.change === 'sign-out';
}
