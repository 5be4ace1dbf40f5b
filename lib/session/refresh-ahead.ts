import { EMPTY, catchError, defer, first, merge, of, switchMap, take, timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { backoffDelay } from '../retry/backoff-delay.js';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';
import { canRenew, type SessionContext } from './session-context.js';
import { pageWakes } from './page-wakes.js';
import { arrivedExpired, refreshMargin, type Refreshes } from './refreshes.js';
import type { SessionState } from './token-set.js';

/*
 * The optional timer of rule 5 (`refreshAhead`), and what wakes it: a machine that slept or a
 * suspended VM (its timer fires far later than armed, by the clock) and, in browsers, a page
 * that comes back (page-wakes.ts). Either way the token is re-checked against the clock at once.
 */

/**
 * The longest a waiting refresh-ahead timer goes without reading the clock again. Timers sleep
 * with the machine while the clock runs on: a wait armed for 10 minutes before a night's sleep
 * ends at most this long after the wake, not 10 minutes after it.
 */
export const CLOCK_CHECK_INTERVAL = 30_000;

/**
 * Refreshes `margin` before each generation's expiry, even with no request waiting, by joining
 * the session's one refresh of that generation; at once when the clock says the time is past
 * (after a sleep) or the page comes back and it is due. A failed attempt is tried again with
 * backoff (`refreshRetry`'s delays, without jitter) while the token lives; after that a request
 * refreshes first, as without the timer. A wake honours that backoff: it starts an attempt no
 * sooner than the clock says the next one is due (at once when that time is past), so a page
 * flipping visibility against a failing endpoint calls it at the backoff's pace, not once per
 * flip; after expiry a wake still brings one attempt, at that pace. Tokens that arrived already
 * expired arm nothing (that would refresh in a loop), nor does a session signed out, revoked or
 * disposed.
 */
export function startRefreshAhead(ctx: SessionContext, refreshes: Refreshes, wakes$: Observable<unknown> = pageWakes()): Subscription {
  return ctx.state$.pipe(switchMap((state) => refreshAheadOf(ctx, refreshes, state, wakes$))).subscribe();
}

function refreshAheadOf(ctx: SessionContext, refreshes: Refreshes, state: SessionState, wakes$: Observable<unknown>): Observable<unknown> {
  const { scheduler, skew, machine, refreshRetry } = ctx.config;
  const expiresAt = state.tokens?.expiresAt;
  if (ctx.disposed || expiresAt === undefined || !canRenew(state, machine) || arrivedExpired(state)) return EMPTY;
  const backoff = { baseDelay: refreshRetry.baseDelay ?? 300, maxDelay: refreshRetry.maxDelay ?? 10_000, jitter: false, random: Math.random };
  // When the next attempt of this generation is due: one margin before expiry, then each failure
  // pushes it one backoff delay past that failure. The wait is armed at once, and again from the
  // clock by each wake (a timer that slept fires late); past expiry only a wake arms it.
  let failures = 0;
  let dueAt = expiresAt - refreshMargin(state, skew);
  const next = (): Observable<unknown> =>
    merge(failures > 0 && dueAt >= expiresAt ? EMPTY : of(0), wakes$).pipe(
      switchMap(() => waitUntil(dueAt, scheduler)),
      take(1),
      switchMap(() => refreshes.join(state)),
      catchError(() => ((dueAt = scheduler.now() + backoffDelay(++failures, backoff)), ctx.disposed ? EMPTY : next())),
    );
  return next();
}

// Waits in steps of at most CLOCK_CHECK_INTERVAL, reading the clock after each: a step that
// fired late (the machine slept) ends the wait at once when the time is past. The steps also keep
// a token valid for months from overflowing setTimeout into a refresh loop; they repeat one
// periodic timer, so a long wait holds no chain of subscriptions.
function waitUntil(target: number, scheduler: SchedulerLike): Observable<unknown> {
  const step = Math.min(CLOCK_CHECK_INTERVAL, MAX_TIMER_DELAY);
  const last = () => timer(Math.max(0, target - scheduler.now()), scheduler);
  return defer(() => {
    if (target - scheduler.now() <= step) return last();
    return timer(step, step, scheduler).pipe(
      first(() => target - scheduler.now() <= step),
      switchMap(last),
    );
  });
}
