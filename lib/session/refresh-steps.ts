import { Observable, ReplaySubject, catchError, defer, finalize, map, of, share, take, tap, throwError, throwIfEmpty, timeout, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { HttpError, NetworkError, RequestTimeoutError } from '../errors/request-error.js';
import { TokenRefreshError, type TokenRefreshFailure } from '../errors/token-refresh-error.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';
import { isTransientError } from '../retry/is-transient-error.js';
import { retryChecked, waitForNetwork, type NetworkWait } from '../retry/retry-backoff.js';
import { normalizeTokenSet, type SessionState, type TokenSet } from './token-set.js';
import type { ResolvedSessionConfig } from './session-config.js';
import { applyOutcome, ownState, sameTokens, type RefreshOutcome, type SessionContext } from './session-context.js';

/*
 * How one refresh runs: its steps, alone (`refreshAlone`) or under a share's lock
 * (`sharing/locked-refresh.ts`), and the token call both make (`tokenCall`), which once sent
 * outlives whoever stopped listening (`outlive`): the refresh token may be spent by then.
 */

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
  /** Set when the refresh stopped listening (deadline, sign-out, dispose): no new attempt starts. */
  detached?: boolean;
  /** Set when a sign-out or dispose stopped the refresh (its deadline does not set it). */
  stopped?: boolean;
}

/** How a refresh runs its steps: alone, or through the shared store under the lock. */
export interface RefreshSteps {
  /** Refreshes `base` with `call` and emits what the session should hold next. */
  refresh(base: SessionState, call: (tokens: TokenSet | null) => Observable<TokenSet>, phase: RefreshPhase): Observable<RefreshOutcome>;
  /** Writes a state the store did not take during the refresh, once the session holds it. */
  publish?(state: SessionState): void;
  /**
   * Whether a change of this session is still on its way to the store: it will be written after
   * whatever a refresh saw or wrote, so the store's order makes it the last word, and a refresh's
   * outcome must not replace it here.
   */
  changePending?(): boolean;
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
      const outcome$ = call(base.tokens).pipe(
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

/** Turns the refresh function's answer into the next state of `base`'s sign-in: new tokens, or a revocation. */
export function toNextState(ctx: SessionContext, generation: number, base: SessionState): (source: Observable<TokenSet>) => Observable<SessionState> {
  return (source) =>
    source.pipe(
      map((tokens) => ownState(ctx, tokens, generation, 'refresh', base)),
      catchError((error: unknown) => (error instanceof TokenRevokedError ? of(ownState(ctx, null, generation, 'revoked', base)) : throwError(() => error))),
    );
}

/**
 * The token call with the refresh token of `tokens` (none in a machine session: its grant gets `''`): calls the
 * refresh function with a per-attempt timeout, retries transient failures with backoff, and emits
 * the checked new token set (keeping the old refresh token when none came back). A malformed
 * answer (in a machine session, one without an access token too) is a non-transient
 * {@link TokenRefreshError}; other failures pass through for the refresh to classify. Once
 * `mayRetry()` is false (nobody listens any more), a failed attempt is not tried again, nor is
 * a retry sent that was decided before (at the end of its backoff or of an outage).
 */
export function tokenCall(tokens: TokenSet | null | undefined, config: ResolvedSessionConfig, mayRetry: () => boolean = () => true, say?: (moment: NetworkWait) => void): Observable<TokenSet> {
  const { refresh, refreshTimeout, scheduler, machine } = config;
  const where = refresh.endpoint ?? 'the refresh function';
  const refreshToken = tokens?.refreshToken;
  let tries = 0;
  // A retry is sent only while someone listens: one the deadline overtook (in its backoff, or
  // waiting for the network) would spend the refresh token with nobody left to store the answer.
  return defer(() => (tries++ > 0 && !mayRetry() ? throwError(() => new TokenRefreshError('The refresh had stopped', { reason: 'timeout' })) : config.dpop.withKey(tokens, () => (config.lend ? refresh(refreshToken ?? '', config.lend) : refresh(refreshToken ?? ''))))).pipe(
    take(1),
    throwIfEmpty(() => new TokenRefreshError('The refresh function completed without a token set', { reason: 'invalid-response' })),
    timeout({ first: refreshTimeout, with: () => throwError(() => new RequestTimeoutError('POST', where, refreshTimeout)), scheduler }),
    map((value) => {
      const next = normalizeTokenSet(value, scheduler.now(), refreshToken);
      if (typeof next !== 'string' && (next.accessToken !== undefined || !machine)) return next;
      throw new TokenRefreshError(`The token response is malformed: ${typeof next === 'string' ? next : 'no accessToken'}`, { reason: 'invalid-response' });
    }),
    // Offline, an attempt waits for `online` (within refreshDeadline), spending no retry; a call
    // nobody listens to any more is not tried again (see mayRetry).
    waitForNetwork(say, mayRetry),
    // refreshRetry was checked with the session's config.
    retryChecked({ ...config.refreshRetry, shouldRetry: (error) => mayRetry() && isTransientError(error), scheduler }),
  );
}

/**
 * Lets the source outlive its subscriber: on an unsubscribe before the source ended, `detach()`
 * says for how many ms the source may run on, unheard (`undefined`: cut it at once, as usual).
 * A refresh uses it so that a deadline, a sign-out or a dispose never cuts a token call already
 * sent, nor the store write of a refresh token already spent while it holds the lock.
 */
export function outlive<T>(detach: () => number | undefined, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      // Set before the end is passed on: the teardown it runs must not ask `detach()`.
      let ended = false;
      const inner = source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => ((ended = true), subscriber.error(error)),
        complete: () => ((ended = true), subscriber.complete()),
      });
      return () => {
        const bound = ended || inner.closed ? undefined : detach();
        if (bound === undefined) return inner.unsubscribe();
        inner.add(timer(bound, scheduler).subscribe(() => inner.unsubscribe()));
      };
    });
}

/** A token store or refresh lock failed or did not answer: the refresh reports reason `store-failed`. */
export class StoreFailure extends Error {
  override readonly name = 'StoreFailure';
}

/** The error every waiter of a failed refresh receives: a {@link TokenRefreshError} keeping the cause. */
export function toRefreshFailure(error: unknown): TokenRefreshError {
  if (error instanceof TokenRefreshError) return error;
  const reason = failureReason(error);
  const transient = reason !== 'refresh-function';
  const detail = error instanceof Error ? error.message : String(error);
  return new TokenRefreshError(`Token refresh failed${transient ? ' after retries' : ''}: ${detail}`, { reason, cause: error });
}

function failureReason(error: unknown): TokenRefreshFailure {
  if (error instanceof StoreFailure) return 'store-failed';
  if (error instanceof NetworkError) return 'network';
  if (error instanceof RequestTimeoutError) return 'timeout';
  if (error instanceof HttpError && isTransientError(error)) return 'server-error';
  return 'refresh-function';
}
