import { catchError, of, switchMap, throwError, type Observable } from 'rxjs';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { ownState, type RefreshOutcome, type SessionContext } from './session-context.js';
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
}

/** How a flight refreshes: directly, or through the shared store under the lock. */
export interface RefreshPath {
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

/** Refreshes without sharing: the new tokens become the next generation. */
export function directRefresh(ctx: SessionContext): RefreshPath {
  return {
    refresh: (base, call) =>
      call(base.tokens as TokenSet).pipe(
        toNextState(ctx, base.generation + 1, base),
        switchMap((state) => of<RefreshOutcome>({ state, kind: state.revoked ? 'revoked' : 'refreshed' })),
      ),
  };
}
