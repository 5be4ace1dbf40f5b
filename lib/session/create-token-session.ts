import { BehaviorSubject, Subject, Subscription, catchError, defer, distinctUntilChanged, filter, from, map, of, switchMap, take, throwError, timeout, type Observable } from 'rxjs';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { checkedTokens } from './normalize-token-set.js';
import { startRefreshAhead } from './refresh-ahead.js';
import { createRefreshFlights, currentOf } from './refresh-flight.js';
import { needsRefreshFirst } from './refresh-margin.js';
import { resolveSessionConfig, type TokenSessionConfig } from './session-config.js';
import { ownState, type SessionContext } from './session-context.js';
import type { SessionEvent } from './session-event.js';
import { directRefresh } from './refresh-path.js';
import { createStoreSync } from './store-sync.js';
import type { CurrentToken, TokenAccess } from './token-access.js';
import type { SessionState, TokenSet } from './token-set.js';

export type { TokenSessionConfig } from './session-config.js';
export type { CurrentToken } from './token-access.js';

/** The app-facing side of a {@link TokenSession}: watch it, sign in, sign out. */
export interface SessionControls {
  /** The current token set, `null` when signed out or revoked; replays the latest value. */
  readonly tokens$: Observable<TokenSet | null>;
  /** Joins the refresh of the current generation, or starts it, and emits the new token set. */
  readonly refresh$: Observable<TokenSet>;
  /** Refreshes, failures, revocation, changes from other tabs or processes, and retried requests. */
  readonly events$: Observable<SessionEvent>;
  /** The state now: tokens, generation, revoked. */
  readonly state: SessionState;
  /** Replaces the tokens (a sign-in): wins over a refresh in flight here and in every member sharing the store. Revives a revoked session. Throws a TypeError on a malformed set. */
  setTokens(tokens: TokenSet): void;
  /**
   * Forgets the tokens everywhere the store reaches and stops a running refresh (its waiters fail
   * with {@link TokenRefreshError}, reason `signed-out`). With `{ revoke: true }` it also asks the
   * authorization server to revoke the refresh token (RFC 7009, the session's `revoke`), best
   * effort and without waiting.
   */
  signOut(options?: { readonly revoke?: boolean }): void;
  /** Stops timers, the running refresh, the streams and the store's subscriptions; later use fails. */
  dispose(): void;
}

/**
 * One user's tokens, refreshed at most once per generation however many requests ask.
 * Create it with {@link createTokenSession} and give it to {@link createHttpClient}.
 */
export interface TokenSession extends SessionControls, TokenAccess {}

/**
 * Creates a {@link TokenSession}: the tokens of one user, with a refresh protocol that holds
 * under load. However many requests get 401 for one generation, one refresh runs; 401s that
 * arrive after it are retried with the new token; waiters that unsubscribe do not cancel it;
 * `invalid_grant` ends the session with {@link TokenRevokedError}. With a `store` and `lock` the
 * same holds across tabs or processes. Throws a TypeError at once on an unusable config.
 *
 * @example
 * const session = createTokenSession({
 *   tokens: { accessToken, refreshToken, expiresAt },
 *   refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'spa' }),
 * });
 * session.events$.pipe(filter((e) => e.type === 'session-revoked')).subscribe(() => router.navigate(['/sign-in']));
 */
export function createTokenSession(config: TokenSessionConfig): TokenSession {
  const resolved = resolveSessionConfig(config);
  const { scheduler, skew, store } = resolved;
  const initial = config.tokens ? checkedTokens(config.tokens, scheduler.now(), 'createTokenSession') : null;
  const ctx: SessionContext = {
    config: resolved,
    state$: new BehaviorSubject<SessionState>({ tokens: initial, generation: 0, revoked: false, receivedAt: scheduler.now(), change: 'sign-in' }),
    events: new Subject<SessionEvent>(),
    stop$: new Subject<void>(),
    renumbered: new Map(),
  };
  const sync = store ? createStoreSync(ctx, store, resolved.lock) : undefined;
  const flights = createRefreshFlights(ctx, sync ?? directRefresh(ctx));
  const subscriptions = new Subscription();
  if (resolved.refreshAhead) subscriptions.add(startRefreshAhead(ctx, flights));
  let disposed = false;

  const guard = <T>(run: () => Observable<T>): Observable<T> =>
    defer(() => {
      if (disposed) return throwError(() => new TokenRefreshError('The token session was disposed', { reason: 'disposed' }));
      if (ctx.state$.value.revoked) return throwError(() => new TokenRevokedError());
      return run();
    });

  // Requests made before the first read of the store answered wait for it (bounded by its timeout).
  const ready$ = sync ? sync.ready$.pipe(filter(Boolean), take(1)) : of(true);

  function tokenAfterRejection(generation: number): Observable<CurrentToken> {
    return guard(() => {
      const current = ctx.state$.value;
      const sent = ctx.renumbered.get(generation) ?? generation;
      // A late 401 (rule 2): the session moved on while the request was out; retry with the new token.
      if (current.generation !== sent || !current.tokens) return of(currentOf(current));
      // Nothing to refresh with: the caller's 401 stands.
      if (current.tokens.refreshToken === undefined) return of({ accessToken: null, generation: current.generation });
      return flights.join(current);
    });
  }

  function currentToken(): Observable<CurrentToken> {
    return ready$.pipe(
      switchMap(() =>
        guard(() => {
          const current = ctx.state$.value;
          if (!needsRefreshFirst(current, scheduler.now(), skew)) return of(currentOf(current));
          return flights.join(current).pipe(
            // A token that has not expired yet still works while the token endpoint is down.
            catchError((error: unknown) => (stillUsable(error, current, scheduler.now()) ? of(currentOf(current)) : throwError(() => error))),
          );
        }),
      ),
    );
  }

  function change(tokens: TokenSet | null, kind: 'sign-in' | 'sign-out'): SessionState {
    const next = ownState(ctx, tokens, ctx.state$.value.generation + 1, kind);
    ctx.state$.next(next);
    ctx.events.next({ type: 'tokens-changed', generation: next.generation, change: kind, origin: 'local' });
    sync?.publish(next);
    return next;
  }

  return {
    // After the first read of the store: a late tab never shows tokens the store has replaced.
    tokens$: ready$.pipe(
      switchMap(() => ctx.state$),
      map((s) => s.tokens),
      distinctUntilChanged(),
    ),
    refresh$: ready$.pipe(
      switchMap(() => guard(() => refreshNow())),
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
      if (disposed) throw new TypeError('setTokens: the token session was disposed');
      change(checkedTokens(tokens, scheduler.now(), 'setTokens'), 'sign-in');
    },
    signOut(options) {
      if (disposed) return;
      const refreshToken = ctx.state$.value.tokens?.refreshToken;
      if (options?.revoke && !resolved.revoke) {
        throw new TypeError('signOut({ revoke: true }) needs `revoke` in the session config, e.g. oauth2Revocation({ revocationUrl })');
      }
      ctx.stop$.next();
      change(null, 'sign-out');
      if (options?.revoke && resolved.revoke && refreshToken !== undefined) revokeQuietly(resolved.revoke, refreshToken, resolved.refreshTimeout);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      ctx.stop$.next();
      ctx.stop$.complete();
      subscriptions.unsubscribe();
      sync?.dispose();
      ctx.events.complete();
      ctx.state$.complete();
    },
    currentToken,
    tokenAfterRejection,
    report: (event) => ctx.events.next(event),
    revoked$: ctx.state$.pipe(
      map((s) => s.revoked),
      distinctUntilChanged(),
      filter(Boolean),
      map(() => undefined),
    ),
  };

  function refreshNow(): Observable<CurrentToken> {
    const { tokens, generation } = ctx.state$.value;
    if (!tokens?.refreshToken) {
      return throwError(() => new TokenRefreshError(`The session has no ${tokens ? 'refresh token' : 'tokens'} to refresh with`, { reason: 'no-refresh-token' }));
    }
    return tokenAfterRejection(generation);
  }

  // Revocation is a courtesy to the server: the sign-out has happened already, whatever it answers.
  function revokeQuietly(revoke: (token: string) => unknown, refreshToken: string, limit: number): void {
    defer(() => from(revoke(refreshToken) as Observable<unknown>))
      .pipe(timeout({ first: limit, scheduler }), catchError(() => of(undefined)), take(1))
      .subscribe();
  }
}

function stillUsable(error: unknown, state: SessionState, now: number): boolean {
  const expiresAt = state.tokens?.expiresAt;
  return error instanceof TokenRefreshError && error.transient && state.tokens?.accessToken !== undefined && expiresAt !== undefined && expiresAt > now;
}
