import {
  BehaviorSubject,
  EMPTY,
  ReplaySubject,
  Subject,
  Subscription,
  asyncScheduler,
  catchError,
  defer,
  distinctUntilChanged,
  endWith,
  from,
  ignoreElements,
  map,
  of,
  share,
  switchMap,
  take,
  takeUntil,
  tap,
  throwError,
  throwIfEmpty,
  timer,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { TokenRefreshError } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';
import { MAX_TIMER_DELAY } from '../util/max-timer-delay.js';
import { normalizeTokenSet } from './normalize-token-set.js';
import { expiresSoon, refreshMargin } from './refresh-margin.js';
import { registerReporter } from './report-event.js';
import { runRefresh, toRefreshFailure } from './run-refresh.js';
import type { RequestRetriedEvent, SessionEvent } from './session-event.js';
import type { SessionState, TokenSet } from './token-set.js';
import type { RefreshLock, TokenStore } from './token-store.js';

/** How a {@link TokenSession} refreshes and where it keeps its tokens. */
export interface TokenSessionConfig {
  /** The tokens to start with, e.g. from sign-in; without them the session starts signed out. */
  readonly tokens?: TokenSet | null;
  /**
   * Exchanges a refresh token for a new token set: {@link oauth2RefreshGrant} speaks RFC 6749
   * §6. Throw (or error with) {@link TokenRevokedError} to end the session; transient errors
   * (network, timeout, 5xx, 429) are retried with backoff.
   */
  readonly refresh: (refreshToken: string) => ObservableInput<TokenSet>;
  /** Refresh before sending a token that expires within this many ms. @default 30000 */
  readonly skew?: number;
  /** Each refresh attempt fails with a timeout after this many ms. @default 10000 */
  readonly refreshTimeout?: number;
  /** Backoff for transient refresh failures. @default { maxRetries: 3, baseDelay: 300, maxDelay: 10000 } */
  readonly refreshRetry?: Omit<RetryBackoffConfig, 'scheduler' | 'shouldRetry'>;
  /** Also refresh on a timer, `skew` before expiry, not only when a request needs a token. @default false */
  readonly refreshAhead?: boolean;
  /** Shares the state with other tabs or processes. @default none (memory only) */
  readonly store?: TokenStore;
  /** Makes refreshes exclusive among sessions sharing `store`. @default none */
  readonly lock?: RefreshLock;
  /** Clock and timers; pass a `TestScheduler` in marble tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** The access token to send and the generation it belongs to (`null` when signed out). */
export interface CurrentToken {
  readonly accessToken: string | null;
  readonly generation: number;
}

/**
 * One user's tokens, refreshed at most once per generation however many requests ask.
 * Create it with {@link createTokenSession} and give it to {@link createHttpClient}.
 */
export interface TokenSession {
  /** The current token set, `null` when signed out or revoked; replays the latest value. */
  readonly tokens$: Observable<TokenSet | null>;
  /** Joins the refresh of the current generation, or starts it, and emits the new token set. */
  readonly refresh$: Observable<TokenSet>;
  /** Refreshes, failures, revocation and retried requests, as they happen. */
  readonly events$: Observable<SessionEvent>;
  /** The state now: tokens, generation, revoked. */
  readonly state: SessionState;
  /** Replaces the tokens (after sign-in); revives a revoked session. Throws a TypeError on a malformed set. */
  setTokens(tokens: TokenSet): void;
  /** Forgets the tokens and stops a running refresh; its waiters fail with {@link TokenRefreshError}. */
  signOut(): void;
  /** Stops timers, the running refresh and the streams; later use fails. */
  dispose(): void;
  /**
   * The token a request should send now. Waits for a refresh first when the token expires
   * within the skew. Fails with {@link TokenRevokedError} at once when the session was revoked.
   */
  currentToken(): Observable<CurrentToken>;
  /** Publishes a request's retry on `events$` (called by the request pipeline). */
  report(event: RequestRetriedEvent): void;
  /**
   * After a 401 for a request that sent the token of `generation`: joins (or starts) the one
   * refresh of that generation, or, when the session has moved on already, emits the current
   * token at once. Emits a `null` token when there is nothing to refresh with (signed out, or
   * no refresh token): the caller's 401 stands.
   */
  tokenAfterRejection(generation: number): Observable<CurrentToken>;
}

interface Flight {
  readonly generation: number;
  readonly result$: Observable<CurrentToken>;
}

const direct: RefreshLock = { run: (task) => defer(task) };

/**
 * Creates a {@link TokenSession}: the tokens of one user, with a refresh protocol that holds
 * under load. However many requests get 401 for one generation, one refresh runs; 401s that
 * arrive after it are retried with the new token; waiters that unsubscribe do not cancel it;
 * `invalid_grant` ends the session with {@link TokenRevokedError}.
 *
 * @example
 * const session = createTokenSession({
 *   tokens: { accessToken, refreshToken, expiresAt },
 *   refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'spa' }),
 * });
 * session.events$.pipe(filter((e) => e.type === 'session-revoked')).subscribe(() => router.navigate(['/sign-in']));
 */
export function createTokenSession(config: TokenSessionConfig): TokenSession {
  const scheduler = config.scheduler ?? asyncScheduler;
  const skew = config.skew ?? 30_000;
  const refreshTimeout = config.refreshTimeout ?? 10_000;
  const lock = config.lock ?? direct;
  const { store } = config;
  validateConfig(config);

  const initial = config.tokens ? checkedTokens(config.tokens) : null;
  const state$ = new BehaviorSubject<SessionState>({
    tokens: initial,
    generation: 0,
    revoked: false,
    receivedAt: scheduler.now(),
    change: 'sign-in',
  });
  const events = new Subject<SessionEvent>();
  const stop$ = new Subject<void>();
  const subscriptions = new Subscription();
  let flight: Flight | undefined;
  let disposed = false;
  // The state this session is writing to the store, so a store that echoes our own write on
  // changes$ is not mistaken for another process's update.
  let writing: SessionState | undefined;

  const grantOf = (s: SessionState): CurrentToken => ({ accessToken: s.tokens?.accessToken ?? null, generation: s.generation });

  function commit(next: SessionState): void {
    state$.next(next);
    if (store) from(store.write(next, next.generation - 1)).subscribe({ error: () => undefined });
  }

  function change(tokens: TokenSet | null, change: 'sign-in' | 'sign-out'): void {
    const generation = state$.value.generation + 1;
    commit({ tokens, generation, revoked: false, receivedAt: scheduler.now(), change });
    events.next({ type: 'tokens-changed', generation, change, origin: 'local' });
  }

  function adopt(shared: SessionState): void {
    const wasRevoked = state$.value.revoked;
    state$.next(shared);
    if (shared.change !== 'revoked') events.next({ type: 'tokens-changed', generation: shared.generation, change: shared.change, origin: 'remote' });
    if (shared.revoked && !wasRevoked) events.next({ type: 'session-revoked', generation: shared.generation, origin: 'remote' });
  }

  function refreshOnce(base: SessionState): Observable<SessionState> {
    return defer(() => {
      events.next({ type: 'refresh-started', generation: base.generation });
      return runRefresh(base.tokens, { refresh: config.refresh, refreshTimeout, refreshRetry: config.refreshRetry, scheduler });
    }).pipe(map((tokens) => ({ tokens, generation: state$.value.generation + 1, revoked: false, receivedAt: scheduler.now(), change: 'refresh' as const })));
  }

  // Under the lock, another tab or process may have refreshed already: adopt its newer state
  // (emitting null) instead of spending the refresh token a second time.
  function refreshShared(base: SessionState): Observable<SessionState | null> {
    if (!store) return refreshOnce(base);
    return defer(() => store.read()).pipe(
      take(1),
      switchMap((shared) => {
        const newer = shared !== null && shared.generation > base.generation;
        // A newer state whose access token is the one just rejected (a tab that started behind
        // the store) mends nothing: refresh with its refresh token, the newest there is.
        if (newer && shared.tokens?.accessToken !== base.tokens?.accessToken) {
          if (shared.generation > state$.value.generation) adopt(shared);
          return of(null);
        }
        return refreshOnce(newer ? shared : base).pipe(
          map((next) => ({ ...next, generation: Math.max(next.generation, (shared?.generation ?? 0) + 1) })),
          // The lock is held until the store has the new tokens, so the next holder sees them.
          switchMap((next) => {
            writing = next;
            return from(store.write(next, next.generation - 1)).pipe(ignoreElements(), catchError(() => EMPTY), endWith(next));
          }),
        );
      }),
    );
  }

  function settle(base: SessionState, next: SessionState | null): CurrentToken {
    // When setTokens, sign-out or another tab changed the tokens during the refresh, theirs win.
    if (next && state$.value.generation === base.generation) {
      state$.next(next);
      events.next({ type: 'refresh-succeeded', generation: next.generation, expiresAt: next.tokens?.expiresAt });
    }
    const current = state$.value;
    if (current.revoked) throw new TokenRevokedError();
    return grantOf(current);
  }

  function fail(base: SessionState, error: unknown): Observable<CurrentToken> {
    if (error instanceof TokenRevokedError) {
      if (state$.value.generation !== base.generation && !state$.value.revoked) return of(grantOf(state$.value));
      if (!state$.value.revoked) {
        const revoked: SessionState = { tokens: null, generation: base.generation + 1, revoked: true, receivedAt: scheduler.now(), change: 'revoked' };
        commit(revoked);
        events.next({ type: 'session-revoked', generation: revoked.generation, origin: 'local' });
      }
      return throwError(() => error);
    }
    const failure = toRefreshFailure(error);
    events.next({ type: 'refresh-failed', generation: base.generation, error: failure });
    return throwError(() => failure);
  }

  function startFlight(base: SessionState): Flight {
    const done = (): void => {
      if (flight?.generation === base.generation) flight = undefined;
    };
    const result$ = lock.run(() => refreshShared(base)).pipe(
      takeUntil(stop$),
      throwIfEmpty(() => new TokenRefreshError('The session was signed out or disposed during the refresh', { reason: 'signed-out' })),
      map((next) => settle(base, next)),
      catchError((error: unknown) => fail(base, error)),
      tap({ error: done, complete: done }),
      // refCount and resets off: waiters that unsubscribe never cancel the refresh (with rotation
      // the old refresh token may already be spent), and a late subscriber gets the replayed
      // outcome instead of a second refresh.
      share({ connector: () => new ReplaySubject<CurrentToken>(1), resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false }),
    );
    return { generation: base.generation, result$ };
  }

  function tokenAfterRejection(generation: number): Observable<CurrentToken> {
    return defer(() => {
      if (disposed) return throwError(() => disposedError());
      const current = state$.value;
      if (current.revoked) return throwError(() => new TokenRevokedError());
      if (current.generation !== generation || !current.tokens) return of(grantOf(current));
      // Nothing to refresh with: the caller's 401 stands (authorize rethrows it on a null token).
      if (current.tokens.refreshToken === undefined) return of({ accessToken: null, generation: current.generation });
      if (flight?.generation !== current.generation) flight = startFlight(current);
      return flight.result$;
    });
  }

  function currentToken(): Observable<CurrentToken> {
    return defer(() => {
      if (disposed) return throwError(() => disposedError());
      const current = state$.value;
      if (current.revoked) return throwError(() => new TokenRevokedError());
      if (!current.tokens?.refreshToken || !expiresSoon(current, scheduler.now(), skew)) return of(grantOf(current));
      return tokenAfterRejection(current.generation).pipe(
        // A token that has not expired yet still works while the token endpoint is down.
        catchError((error: unknown) =>
          error instanceof TokenRefreshError && error.transient && (current.tokens?.expiresAt ?? 0) > scheduler.now()
            ? of(grantOf(current))
            : throwError(() => error),
        ),
      );
    });
  }

  if (store?.changes$) {
    subscriptions.add(
      store.changes$.subscribe((shared) => {
        const echo = shared.generation === writing?.generation && shared.tokens?.accessToken === writing.tokens?.accessToken;
        if (!echo && shared.generation > state$.value.generation) adopt(shared);
      }),
    );
  }
  if (config.refreshAhead) {
    subscriptions.add(
      state$
        .pipe(
          switchMap((s) => {
            const expiresAt = s.tokens?.expiresAt;
            if (expiresAt === undefined || !s.tokens?.refreshToken || s.revoked) return EMPTY;
            return waitUntil(expiresAt - refreshMargin(s, skew), scheduler).pipe(
              switchMap(() => tokenAfterRejection(s.generation).pipe(catchError(() => EMPTY))),
            );
          }),
        )
        .subscribe(),
    );
  }

  const session: TokenSession = {
    tokens$: state$.pipe(
      map((s) => s.tokens),
      distinctUntilChanged(),
    ),
    refresh$: defer(() => {
      const { tokens, revoked, generation } = state$.value;
      if (!revoked && !disposed && !tokens?.refreshToken) {
        return throwError(() => new TokenRefreshError(`The session has no ${tokens ? 'refresh token' : 'tokens'} to refresh with`, { reason: 'no-refresh-token' }));
      }
      return tokenAfterRejection(generation);
    }).pipe(
      map(() => {
        const { tokens } = state$.value;
        if (!tokens) throw new TokenRefreshError('The session was signed out during the refresh', { reason: 'signed-out' });
        return tokens;
      }),
    ),
    events$: events.asObservable(),
    get state() {
      return state$.value;
    },
    setTokens(tokens) {
      if (disposed) throw disposedError();
      change(checkedTokens(tokens), 'sign-in');
    },
    signOut() {
      if (disposed) return;
      stop$.next();
      change(null, 'sign-out');
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      stop$.next();
      stop$.complete();
      subscriptions.unsubscribe();
      events.complete();
      state$.complete();
    },
    currentToken,
    report: (event) => events.next(event),
    tokenAfterRejection,
  };
  registerReporter(session, (event) => events.next(event));
  return session;
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

function checkedTokens(tokens: TokenSet): TokenSet {
  const checked = normalizeTokenSet(tokens);
  if (typeof checked === 'string') throw new TypeError(`Invalid token set: ${checked}`);
  return checked;
}

function validateConfig(config: TokenSessionConfig): void {
  if (typeof config.refresh !== 'function') throw new TypeError('createTokenSession: `refresh` must be a function');
  for (const key of ['skew', 'refreshTimeout'] as const) {
    const value = config[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= MAX_TIMER_DELAY)) {
      throw new TypeError(`createTokenSession: \`${key}\` must be a number of ms from 0 to ${MAX_TIMER_DELAY}`);
    }
  }
}

function disposedError(): TokenRefreshError {
  return new TokenRefreshError('The token session was disposed', { reason: 'disposed' });
}
