import { EMPTY, catchError, defer, switchMap, timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';
import type { SessionContext } from './session-context.js';
import type { SessionState } from './token-set.js';

/*
 * When a session refreshes (rule 5): a margin before expiry, by a request that waits for the
 * refresh first or, with `refreshAhead`, by a timer; never in a loop for tokens that arrived dead.
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
 * Whether a request must wait for a refresh before it sends a token (rule 5): the session has a
 * refresh token and either no access token yet, or one that expires within the margin and did
 * not arrive expired.
 */
export function needsRefreshFirst(state: SessionState, now: number, skew: number): boolean {
  return now >= refreshFirstFrom(state, skew);
}

/**
 * From when on {@link needsRefreshFirst} holds for `state` (it changes with the clock alone):
 * `-Infinity` for a refresh token without an access token, `Infinity` for never.
 */
export function refreshFirstFrom(state: SessionState, skew: number): number {
  const tokens = state.tokens;
  if (!tokens?.refreshToken || state.revoked) return Infinity;
  if (tokens.accessToken === undefined) return -Infinity;
  const expiresAt = tokens.expiresAt;
  return expiresAt === undefined || arrivedExpired(state) ? Infinity : expiresAt - refreshMargin(state, skew);
}

/**
 * The optional timer of rule 5: refreshes `margin` before each generation's expiry, even with
 * no request waiting, by joining the session's one refresh of that generation.
 * Tokens that arrived already expired arm no timer (that would refresh in a loop); the next
 * request's 401 decides for them.
 */
export function startRefreshAhead(ctx: SessionContext, refreshes: { join(state: SessionState): Observable<unknown> }): Subscription {
  const { scheduler, skew } = ctx.config;
  return ctx.state$
    .pipe(
      switchMap((state) => {
        const expiresAt = state.tokens?.expiresAt;
        if (expiresAt === undefined || !state.tokens?.refreshToken || state.revoked || arrivedExpired(state)) return EMPTY;
        return waitUntil(expiresAt - refreshMargin(state, skew), scheduler).pipe(switchMap(() => refreshes.join(state).pipe(catchError(() => EMPTY))));
      }),
    )
    .subscribe();
}

// Waits in steps no longer than a timer can hold, so a token valid for months does not
// overflow setTimeout into a refresh loop.
function waitUntil(target: number, scheduler: SchedulerLike): Observable<unknown> {
  return defer(() => {
    const left = target - scheduler.now();
    if (left <= MAX_TIMER_DELAY) return timer(Math.max(0, left), scheduler);
    return timer(MAX_TIMER_DELAY, scheduler).pipe(switchMap(() => waitUntil(target, scheduler)));
  });
}
