import { Observable, Subject, catchError, distinctUntilChanged, filter, map, merge, of, switchMap, take, throwError } from 'rxjs';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import type { TokenRevokedError } from '../errors/token-revoked-error.js';
import { revokedError, signInOf, type SessionContext } from './session-context.js';
import { currentOf, refreshFirstFrom, type Refreshes } from './refreshes.js';
import type { StoreSync } from './sharing/store-sync.js';
import type { CurrentToken, TokenAccess } from './token-access.js';
import type { SessionState } from './token-set.js';

/**
 * The protocol side of a session, what requests use. A request with a valid token is the hot
 * path: once the store (if any) has been read, `token()` answers in the subscribe call
 * itself, with no operator.
 */
export function createSessionAccess(ctx: SessionContext, flights: Refreshes, sync: StoreSync | undefined): TokenAccess {
  const revoked = new Subject<TokenRevokedError>();
  ctx.state$
    .pipe(
      map((s) => s.revoked),
      distinctUntilChanged(),
      filter(Boolean),
    )
    .subscribe({ next: () => revoked.next(revokedError(ctx.config.machine)), complete: () => revoked.complete() });

  const { scheduler, skew } = ctx.config;
  // What token() emits at once: no store read pending, the session usable, no refresh first.
  // Worked out once per state (and per sign-in alias learnt), so that a request with a valid
  // token, the hot path, costs one look at the clock.
  let known: { state: SessionState; aliases: number; token: CurrentToken; refreshFrom: number } | undefined;
  const tokenNow = (): CurrentToken | undefined => {
    if ((sync && !sync.ready) || ctx.disposed) return undefined;
    const current = ctx.state$.value;
    if (current.revoked) return undefined;
    if (known?.state !== current || known.aliases !== ctx.sameSignIn.size) {
      known = { state: current, aliases: ctx.sameSignIn.size, token: currentOf(ctx, current), refreshFrom: refreshFirstFrom(current, skew, ctx.config.machine) };
    }
    return scheduler.now() < known.refreshFrom ? known.token : undefined;
  };
  return {
    token: tokenOf(tokenLater(ctx, flights, sync, tokenNow), ctx, flights),
    report: (event) => ctx.events.next(event),
    // Emits at once for a session revoked already, like the state it watches.
    revoked$: new Observable<TokenRevokedError>((subscriber) => (ctx.state$.value.revoked ? subscriber.next(revokedError(ctx.config.machine)) : revoked.subscribe(subscriber))),
  };
}

// {@link TokenAccess.token}: the token to send now, or the one after a rejected generation.
function tokenOf(now: () => Observable<CurrentToken>, ctx: SessionContext, flights: Refreshes): (rejected?: number) => Observable<CurrentToken> {
  return (rejected) => (rejected === undefined ? now() : tokenAfterRejection(ctx, flights, rejected));
}

/**
 * {@link TokenAccess.token} without a rejection, after the first read of the store (bounded by its timeout):
 * `tokenNow()` when it can answer, else the session's error or the refresh to wait for.
 */
function tokenLater(ctx: SessionContext, flights: Refreshes, sync: StoreSync | undefined, tokenNow: () => CurrentToken | undefined): () => Observable<CurrentToken> {
  const { scheduler } = ctx.config;
  const ready$ = sync?.ready$.pipe(filter(Boolean), take(1));
  return function currentToken(): Observable<CurrentToken> {
    return new Observable<CurrentToken>((subscriber) => {
      if (ready$ && !sync?.ready) return ready$.pipe(switchMap(() => currentToken())).subscribe(subscriber);
      const now = tokenNow();
      if (now) {
        subscriber.next(now);
        return subscriber.complete();
      }
      const stopped = stoppedError(ctx);
      if (stopped) return subscriber.error(stopped);
      const current = ctx.state$.value;
      return flights
        .join(current)
        .pipe(
          // A token that has not expired yet still works while the token endpoint is down.
          catchError((error: unknown) => (stillUsable(error, current, scheduler.now()) ? of(currentOf(ctx, current)) : throwError(() => error))),
        )
        .subscribe(subscriber);
    });
  };
}

/** {@link TokenAccess.token} after a rejection of `generation`: the one refresh of `generation`, or the token to retry with at once. */
function tokenAfterRejection(ctx: SessionContext, flights: Refreshes, generation: number): Observable<CurrentToken> {
  return new Observable<CurrentToken>((subscriber) => {
    const stopped = stoppedError(ctx);
    if (stopped) return subscriber.error(stopped);
    const current = ctx.state$.value;
    const answer = answerWithoutRefresh(ctx, current, ctx.renumbered.get(generation) ?? generation);
    if (!answer) return merge(flights.join(current), signInChange(ctx, current)).pipe(take(1)).subscribe(subscriber);
    subscriber.next(answer);
    subscriber.complete();
  });
}

// Rule 18: a sign-in while a request waits for the refresh answers it at once with the new
// sign-in's token, which the request path refuses to send; the refresh goes on for the store (rule 3).
// A sign-out stops the refresh first, so its waiters keep the reason `signed-out`.
function signInChange(ctx: SessionContext, base: SessionState): Observable<CurrentToken> {
  const signIn = signInOf(ctx, base);
  return ctx.state$.pipe(
    filter((state) => signInOf(ctx, state) !== signIn),
    take(1),
    map((state) => currentOf(ctx, state)),
  );
}

/** Why the session takes no more requests, if it does not: it was disposed or revoked. */
export function stoppedError(ctx: SessionContext): Error | undefined {
  if (ctx.disposed) return new TokenRefreshError('The token session was disposed', { reason: 'disposed' });
  if (ctx.state$.value.revoked) return revokedError(ctx.config.machine);
  return undefined;
}

// After a 401 for the token of generation `sent`: the token to retry with when no refresh is needed.
function answerWithoutRefresh(ctx: SessionContext, current: SessionState, sent: number): CurrentToken | undefined {
  // A late 401 (rule 2): the session moved on while the request was out; retry with the new token
  // (the request path refuses it when it belongs to another sign-in, rule 18).
  if (current.generation !== sent || !current.tokens) return currentOf(ctx, current);
  // Nothing to refresh with: the caller's 401 stands.
  if (current.tokens.refreshToken === undefined && !ctx.config.machine) return { accessToken: null, generation: current.generation };
  return undefined;
}

function stillUsable(error: unknown, state: SessionState, now: number): boolean {
  const expiresAt = state.tokens?.expiresAt;
  return error instanceof TokenRefreshError && error.transient && state.tokens?.accessToken !== undefined && expiresAt !== undefined && expiresAt > now;
}
