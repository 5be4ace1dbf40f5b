import { EMPTY, catchError, defer, switchMap, timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';
import type { Refreshes } from './refresh-flight.js';
import { arrivedExpired, refreshMargin } from './refresh-margin.js';
import type { SessionContext } from './session-context.js';

/**
 * The optional timer of rule 5: refreshes `margin` before each generation's expiry, even with
 * no request waiting. Tokens that arrived already expired arm no timer (that would refresh in a
 * loop); the next request's 401 decides for them.
 */
export function startRefreshAhead(ctx: SessionContext, flights: Refreshes): Subscription {
  const { scheduler, skew } = ctx.config;
  return ctx.state$
    .pipe(
      switchMap((state) => {
        const expiresAt = state.tokens?.expiresAt;
        if (expiresAt === undefined || !state.tokens?.refreshToken || state.revoked || arrivedExpired(state)) return EMPTY;
        return waitUntil(expiresAt - refreshMargin(state, skew), scheduler).pipe(switchMap(() => flights.join(state).pipe(catchError(() => EMPTY))));
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
