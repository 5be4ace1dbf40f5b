import { ReplaySubject, catchError, defer, map, of, share, switchMap, takeUntil, tap, throwError, throwIfEmpty, timeout, timer, type Observable } from 'rxjs';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { backoffDelay } from '../retry/backoff-delay.js';
import { canRenew, revokedError, applyOutcome, signInOf, type RefreshOutcome, type SessionContext } from './session-context.js';
import { tokenCall, toRefreshFailure, type RefreshPhase, type RefreshSteps } from './refresh-steps.js';
import type { CurrentToken } from './token-access.js';
import type { SessionState, TokenSet } from './token-set.js';

/*
 * A session's refreshes: when one is due (rule 5: a margin before expiry, by a request that
 * waits for it first or, with `refreshAhead`, by the timer of refresh-ahead.ts; never in a loop for
 * tokens that arrived dead), and the one refresh of a generation that every request needing it joins (rules 1-3).
 */

/**
 * The share of a token's whole life that the skew may take at most: a 60 s token with the
 * default 30 s skew is refreshed 15 s before expiry, not after every 30 s.
 */
const MAX_SHARE_OF_LIFE = 0.25;

/**
 * How long before `expiresAt` the session refreshes: the configured skew, but never more than
 * a quarter of the token's life (from `receivedAt` to `expiresAt`).
 */
export function refreshMargin(state: SessionState, skew: number): number {
  const expiresAt = state.tokens?.expiresAt;
  if (expiresAt === undefined) return 0;
  const life = expiresAt - state.receivedAt;
  return life > 0 ? Math.min(skew, life * MAX_SHARE_OF_LIFE) : 0;
}

/** A token a refresh hands over with less life than this is treated as dead on arrival. */
const MIN_LIFE = 1_000;

/**
 * True for tokens a refresh handed over already expired, or about to (`expires_in: 0`, a JWT
 * `exp` in the past, a life shorter than a round trip): refreshing them again ahead of use would
 * only fetch another dead token, in a loop. They are sent as they are; the server's 401 decides,
 * at most once per generation.
 */
export function arrivedExpired(state: SessionState): boolean {
  const expiresAt = state.tokens?.expiresAt;
  return state.change === 'refresh' && expiresAt !== undefined && expiresAt - state.receivedAt < MIN_LIFE;
}

/**
 * From when on a request must wait for a refresh before it sends a token (rule 5): the session
 * can renew (a refresh token, or a machine session's grant) and has either no access token yet
 * (`-Infinity`: at once), or one that expires within the margin and did not arrive expired.
 * `Infinity`: never. It changes with the clock alone.
 */
export function refreshFirstFrom(state: SessionState, skew: number, machine = false): number {
  const tokens = state.tokens;
  if (!canRenew(state, machine)) return Infinity;
  if (tokens?.accessToken === undefined) return -Infinity;
  const expiresAt = tokens.expiresAt;
  return expiresAt === undefined || arrivedExpired(state) ? Infinity : expiresAt - refreshMargin(state, skew);
}

/** The token a request sends with the state `state`, and the sign-in it belongs to (rule 18). */
export function currentOf(ctx: SessionContext, state: SessionState): CurrentToken {
  return { accessToken: state.tokens?.accessToken ?? null, generation: state.generation, signIn: signInOf(ctx, state), tokenType: state.tokens?.tokenType };
}

/**
 * The one refresh of a generation, joined by every request that needs it (rules 1-3, 6, 13). It
 * is shared with a replay and no reset: waiters that unsubscribe never cancel it (with rotation
 * the old refresh token may already be spent), and a late joiner gets the replayed outcome
 * instead of a second refresh. Only sign-out, dispose and the overall `refreshDeadline` end it
 * early. One per session, run with `steps`: alone, or under a share's lock.
 */
export class Refreshes {
  readonly #ctx: SessionContext;
  readonly #steps: RefreshSteps;
  #running: { readonly generation: number; readonly result$: Observable<CurrentToken> } | undefined;
  // Refreshes in a row that handed over tokens already expired: each next one waits longer.
  #deadStreak = 0;
  #landing: Observable<TokenSet> | undefined;

  constructor(ctx: SessionContext, steps: RefreshSteps) {
    this.#ctx = ctx;
    this.#steps = steps;
  }

  /**
   * The token endpoint's answer to the running refresh, replayed once it came (else `undefined`):
   * a subscriber keeps a call still out alive when the refresh itself is stopped, so that a
   * sign-out can revoke the refresh token it brings back, or has brought back and not yet stored.
   */
  get landing(): Observable<TokenSet> | undefined {
    return this.#landing;
  }

  /** Joins the refresh of `base.generation`, starting it when none runs. */
  join(base: SessionState): Observable<CurrentToken> {
    if (this.#running?.generation !== base.generation) this.#running = { generation: base.generation, result$: this.#start(base) };
    return this.#running.result$;
  }

  #start(base: SessionState): Observable<CurrentToken> {
    const ctx = this.#ctx;
    const { refreshDeadline, scheduler } = ctx.config;
    const phase: RefreshPhase = { current: 'lock' };
    const done = (): void => {
      if (this.#running?.generation !== base.generation) return;
      this.#running = undefined;
      this.#landing = undefined;
    };
    return defer(() => {
      ctx.events.next({ type: 'refresh-started', generation: base.generation });
      return this.#steps.refresh(base, (tokens) => this.#call(base, phase, tokens), phase);
    }).pipe(
      timeout({ first: refreshDeadline, with: () => (phase.landed ? of(phase.landed) : throwError(() => deadlineError(phase, refreshDeadline))), scheduler }),
      takeUntil(ctx.stop$.pipe(tap(() => (phase.stopped = true)))),
      throwIfEmpty(() => new TokenRefreshError('The session was signed out or disposed during the refresh', { reason: 'signed-out' })),
      map((outcome) => this.#settle(base, outcome)),
      catchError((error: unknown) => this.#fail(base, error)),
      tap({ error: done, complete: done }),
      share({ connector: () => new ReplaySubject<CurrentToken>(1), resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false }),
    );
  }

  #call(base: SessionState, phase: RefreshPhase, tokens: TokenSet | null): Observable<TokenSet> {
    const { config } = this.#ctx;
    phase.current = 'token-endpoint';
    // Only a refresh of tokens that themselves arrived dead waits: a fresh sign-in never pays for them.
    const wait = this.#deadStreak === 0 || !arrivedExpired(base) ? 0 : backoffDelay(this.#deadStreak, { baseDelay: config.refreshRetry.baseDelay ?? 300, maxDelay: config.refreshRetry.maxDelay ?? 10_000, jitter: false, random: Math.random });
    // Sent from here on (see RefreshPhase.sent); once the refresh stopped listening, a failed
    // attempt is not tried again: nobody waits for it, and the next holder refreshes anyway.
    const refresh$ = defer(() => ((phase.sent = true), tokenCall(tokens, config, () => !phase.detached, (type) => this.#ctx.events.next({ type, operation: 'refresh' }))));
    const call$ = wait === 0 ? refresh$ : timer(wait, config.scheduler).pipe(switchMap(() => refresh$));
    // Replayed, never called twice; aborted once nobody (refresh or sign-out) listens any more.
    // Kept until the refresh ends: a sign-out while the result is still being stored revokes it.
    const landing = call$.pipe(share({ connector: () => new ReplaySubject<TokenSet>(1), resetOnError: false, resetOnComplete: false, resetOnRefCountZero: true }));
    this.#landing = landing;
    return landing;
  }

  #settle(base: SessionState, outcome: RefreshOutcome): CurrentToken {
    const ctx = this.#ctx;
    const local = ctx.state$.value;
    // A sign-in, sign-out or newer shared state that arrived meanwhile wins over this result; so
    // does a change of ours still on its way to the store, which is written after it.
    const newer = local.generation === base.generation || outcome.state.generation > local.generation;
    if (newer && !this.#steps.changePending?.()) {
      applyOutcome(ctx, outcome);
      if (outcome.kind !== 'revoked') this.#deadStreak = arrivedExpired(outcome.state) ? this.#deadStreak + 1 : 0;
      if (outcome.unstored) this.#steps.publish?.(outcome.state);
    }
    const now = ctx.state$.value;
    if (now.revoked) throw revokedError(ctx.config.machine);
    return currentOf(ctx, now);
  }

  #fail(base: SessionState, error: unknown): Observable<never> {
    if (error instanceof TokenRevokedError) return throwError(() => error);
    const failure = toRefreshFailure(error);
    this.#ctx.events.next({ type: 'refresh-failed', generation: base.generation, error: failure });
    return throwError(() => failure);
  }
}

function deadlineError(phase: RefreshPhase, deadline: number): TokenRefreshError {
  if (phase.current === 'token-endpoint') {
    return new TokenRefreshError(`The refresh did not finish within its deadline of ${deadline} ms (refreshDeadline)`, { reason: 'timeout' });
  }
  const what = phase.current === 'lock' ? 'the refresh lock was not granted' : 'the token store did not answer';
  return new TokenRefreshError(`The refresh failed: ${what} within the refresh deadline of ${deadline} ms`, { reason: 'store-failed' });
}
