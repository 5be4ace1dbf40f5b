import { ReplaySubject, catchError, finalize, map, of, share, switchMap, tap, throwError, type Observable } from 'rxjs';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { outlive } from '../util/outlive.js';
import { applyOutcome, ownState, sameTokens, type RefreshOutcome, type SessionContext } from './session-context.js';
import type { SessionState, TokenSet } from './token-set.js';

/** Where a refresh is, so that a deadline can say what did not answer. */
export interface RefreshPhase {
  current: 'lock' | 'store' | 'token-endpoint';
  /** What the token endpoint answered, once it has: a deadline after that must not drop it. */
  landed?: RefreshOutcome;
  /**
   * Set once the token call was sent: the refresh token may be spent from then on, so a stop
   * must let the call's answer reach the store for the other members.
   */
  sent?: boolean;
  /** Set when the flight stopped listening (deadline, sign-out, dispose): no new attempt starts. */
  detached?: boolean;
  /** Set when a sign-out or dispose stopped the flight (its deadline does not set it). */
  stopped?: boolean;
}

/** How a flight refreshes: directly, or through the shared store under the lock. */
export interface RefreshSteps {
  /** Refreshes `base` with `call` and emits what the session should hold next. */
  refresh(base: SessionState, call: (tokens: TokenSet) => Observable<TokenSet>, phase: RefreshPhase): Observable<RefreshOutcome>;
  /** Writes a state the store did not take during the refresh, once the session holds it. */
  publish?(state: SessionState): void;
  /**
   * Whether a change of this session is still on its way to the store: it will be written after
   * whatever a refresh saw or wrote, so the store's order makes it the last word, and a refresh's
   * outcome must not replace it here.
   */
  changePending?(): boolean;
}

/** Turns the refresh function's answer into the next state of `base`'s sign-in: new tokens, or a revocation. */
export function toNextState(ctx: SessionContext, generation: number, base: SessionState): (source: Observable<TokenSet>) => Observable<SessionState> {
  return (source) =>
    source.pipe(
      switchMap((tokens) => of(ownState(ctx, tokens, generation, 'refresh', base))),
      catchError((error: unknown) => (error instanceof TokenRevokedError ? of(ownState(ctx, null, generation, 'revoked', base)) : throwError(() => error))),
    );
}

/**
 * Refreshes without sharing: the new tokens become the next generation. A call the refresh
 * deadline cut short while it was at the server runs on (within `refreshTimeout`): the server may
 * have spent the refresh token already, and this session is the next to use it. Its answer lands
 * in the session if nothing changed meanwhile, and a refresh of the same generation started before
 * it came waits for it instead of sending the spent token. A sign-out or dispose cuts the call.
 */
export function refreshAlone(ctx: SessionContext): RefreshSteps {
  let late: { readonly generation: number; readonly outcome$: Observable<RefreshOutcome> } | undefined;
  return {
    refresh(base, call, phase) {
      if (late?.generation === base.generation) {
        phase.current = 'token-endpoint'; // waiting for that call's answer
        return late.outcome$;
      }
      const outcome$ = call(base.tokens as TokenSet).pipe(
        toNextState(ctx, base.generation + 1, base),
        map((state): RefreshOutcome => ({ state, kind: state.revoked ? 'revoked' : 'refreshed' })),
        share({ connector: () => new ReplaySubject<RefreshOutcome>(1), resetOnError: false, resetOnComplete: false, resetOnRefCountZero: true }),
      );
      const detach = (): number | undefined => {
        if (!phase.sent || phase.stopped) return undefined;
        phase.detached = true;
        late = { generation: base.generation, outcome$ };
        return ctx.config.refreshTimeout;
      };
      return outcome$.pipe(
        tap((outcome) => {
          const now = ctx.state$.value;
          if (phase.detached && !ctx.disposed && now.generation === base.generation && sameTokens(now.tokens, base.tokens)) applyOutcome(ctx, outcome);
        }),
        finalize(() => {
          if (late?.outcome$ === outcome$) late = undefined;
        }),
        outlive(detach, ctx.config.scheduler),
      );
    },
  };
}
