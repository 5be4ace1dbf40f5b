import { EMPTY, catchError, defer, distinctUntilChanged, filter, map, of, switchMap, take, throwError, timeout, type Observable, type Subscription } from 'rxjs';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { checkedTokens, type SessionState, type TokenSet } from './token-set.js';
import type { RevokeFunction } from './session-config.js';
import { stoppedError } from './session-access.js';
import { ownState, type SessionContext } from './session-context.js';
import type { SessionEvent } from './session-event.js';
import type { StoreSync } from './sharing/store-sync.js';
import type { CurrentToken, TokenAccess } from './token-access.js';

/** The app-facing side of a `TokenSession`: watch it, sign in, sign out. */
export interface SessionControls {
  /** The current token set, `null` when signed out or revoked; replays the latest value. */
  readonly tokens$: Observable<TokenSet | null>;
  /** Joins the refresh of the current generation, or starts it, and emits the new token set. */
  readonly refresh$: Observable<TokenSet>;
  /** Refreshes, failures, revocation, changes from other tabs or processes, retried requests, and waits for the network. */
  readonly events$: Observable<SessionEvent>;
  /** The state now: tokens, generation, revoked. */
  readonly state: SessionState;
  /**
   * Replaces the tokens (a sign-in): wins over a refresh in flight here and in every member sharing the store. Revives a revoked session.
   * Starts a new sign-in: requests that sent the old one's token and still wait fail with `TokenRefreshError`, reason `sign-in-changed`
   * (rule 18). Throws a TypeError on a malformed set.
   */
  setTokens(tokens: TokenSet): void;
  /**
   * Forgets the tokens everywhere the store reaches and stops a running refresh (its waiters fail
   * with {@link TokenRefreshError}, reason `signed-out`). With `{ revoke: true }` it also asks the
   * authorization server to revoke the refresh token (RFC 7009, the session's `revoke`), best
   * effort and without waiting. Without `revoke` configured, `{ revoke: true }` still signs out,
   * then throws a TypeError saying nothing was revoked.
   */
  signOut(options?: { readonly revoke?: boolean }): void;
  /**
   * Stops timers, the running refresh, the streams and the store's subscriptions; later use fails.
   * With a store, a sign-in or sign-out made just before still reaches it (within 10 ×
   * `storeTimeout`), and so does the answer of a token call already sent (within
   * `refreshTimeout` + 5 × `storeTimeout`); the store and lock are disposed after them.
   */
  dispose(): void;
}

/** The app-facing side of a session: watch it, sign in, sign out, refresh on demand, dispose. */
export function createSessionControls(
  ctx: SessionContext,
  access: TokenAccess,
  sync: StoreSync | undefined,
  subscriptions: Subscription,
  landing: () => Observable<TokenSet> | undefined,
): SessionControls {
  // After the first read of the store: a late tab never shows tokens the store has replaced.
  const ready$ = sync ? sync.ready$.pipe(filter(Boolean), take(1)) : of(true);
  return {
    tokens$: ready$.pipe(
      switchMap(() => ctx.state$),
      map((s) => s.tokens),
      distinctUntilChanged(),
    ),
    refresh$: ready$.pipe(
      switchMap(() => refreshNow(ctx, access)),
      map(() => {
        const { tokens } = ctx.state$.value;
        if (!tokens) throw new TokenRefreshError('The session was signed out during the refresh', { reason: 'signed-out' });
        return tokens;
      }),
    ),
    events$: ctx.events.asObservable(),
    get state() {
      return ctx.state$.value;
    },
    setTokens(tokens) {
      if (ctx.disposed) throw new TypeError('setTokens: the token session was disposed');
      change(ctx, sync, ctx.config.dpop.stamp(checkedTokens(tokens, ctx.config.scheduler.now(), 'setTokens')), 'sign-in');
    },
    signOut: (options) => signOut(ctx, sync, options?.revoke === true ? landing : undefined),
    dispose() {
      if (ctx.disposed) return;
      ctx.disposed = true;
      ctx.stop$.next();
      ctx.stop$.complete();
      subscriptions.unsubscribe();
      sync?.dispose();
      ctx.events.complete();
      ctx.state$.complete();
    },
  };
}

// A sign-in or sign-out made here: the next generation, told to events$ and to the store.
function change(ctx: SessionContext, sync: StoreSync | undefined, tokens: TokenSet | null, kind: 'sign-in' | 'sign-out'): void {
  const next = ownState(ctx, tokens, ctx.state$.value.generation + 1, kind);
  ctx.state$.next(next);
  ctx.events.next({ type: 'tokens-changed', generation: next.generation, change: kind, origin: 'local' });
  sync?.publish(next);
}

// `revokeLanding`, for `{ revoke: true }`: the token call of a refresh still out.
function signOut(ctx: SessionContext, sync: StoreSync | undefined, revokeLanding: (() => Observable<TokenSet> | undefined) | undefined): void {
  if (ctx.disposed) return;
  const { revoke, refreshTimeout } = ctx.config;
  const tokens = ctx.state$.value.tokens;
  // A machine session has no refresh token: nothing to revoke, and no mistake to say.
  if (revokeLanding && !revoke && !ctx.config.machine) {
    // The user asked to sign out: that happens whatever else is wrong, then the mistake is said.
    ctx.stop$.next();
    change(ctx, sync, null, 'sign-out');
    throw new TypeError('signOut({ revoke: true }) needs `revoke` in the session config, e.g. oauth2Revocation({ revocationUrl }); the session was signed out without revoking');
  }
  // Before the refresh is stopped: its call stays out, and the refresh token it brings back
  // (rotated, so the one revoked below no longer reaches it) is revoked too.
  const landing = revokeLanding?.();
  if (revoke && landing) revokeWhenLanded(ctx, revoke, landing, tokens?.refreshToken);
  ctx.stop$.next();
  change(ctx, sync, null, 'sign-out');
  if (revokeLanding && revoke && tokens?.refreshToken !== undefined) revokeQuietly(revoke, tokens, refreshTimeout, ctx);
}

// The answer of a token call the sign-out cut short: nobody gets its tokens, and its new refresh
// token is revoked as soon as it arrives (within the refresh deadline).
function revokeWhenLanded(ctx: SessionContext, revoke: RevokeFunction, landing: Observable<TokenSet>, spent: string | undefined): void {
  const { refreshDeadline, refreshTimeout, scheduler } = ctx.config;
  landing.pipe(take(1), timeout({ first: refreshDeadline, scheduler }), catchError(() => EMPTY)).subscribe((landed) => {
    if (landed.refreshToken !== undefined && landed.refreshToken !== spent) revokeQuietly(revoke, landed, refreshTimeout, ctx);
  });
}

// Revocation is a courtesy to the server: the sign-out has happened already, whatever it answers.
// Sent only with the key the tokens are bound to (rule 15): a key that differs revokes nothing.
function revokeQuietly(revoke: RevokeFunction, tokens: TokenSet, limit: number, ctx: SessionContext): void {
  defer(() => ctx.config.dpop.withKey(tokens, () => (ctx.config.lend ? revoke(tokens.refreshToken!, ctx.config.lend) : revoke(tokens.refreshToken!))))
    .pipe(timeout({ first: limit, scheduler: ctx.config.scheduler }), catchError(() => of(undefined)), take(1))
    .subscribe();
}

// `refresh$`: the refresh of the current generation, whatever its token's age.
function refreshNow(ctx: SessionContext, access: TokenAccess): Observable<CurrentToken> {
  const stopped = stoppedError(ctx);
  if (stopped) return throwError(() => stopped);
  const { tokens, generation } = ctx.state$.value;
  // A machine session with no token yet fetches its first, as a request would.
  if (ctx.config.machine && !tokens) return access.token();
  if (!tokens?.refreshToken && !ctx.config.machine) {
    return throwError(() => new TokenRefreshError(`The session has no ${tokens ? 'refresh token' : 'tokens'} to refresh with`, { reason: 'no-refresh-token' }));
  }
  return access.token(generation);
}
