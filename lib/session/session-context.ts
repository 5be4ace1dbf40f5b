import type { BehaviorSubject, Subject, Subscription } from 'rxjs';
import type { ResolvedSessionConfig } from './session-config.js';
import type { SessionEvent } from './session-event.js';
import type { SessionState, TokenSet } from './token-set.js';
import { TokenRevokedError } from '../errors/token-revoked-error.js';

/**
 * What the parts of one session share, passed to each explicitly: the config, the state, the
 * event stream, `stop$`, which fires on sign-out and dispose to stop a running refresh, and
 * whether it was disposed.
 */
export interface SessionContext {
  readonly config: ResolvedSessionConfig;
  readonly state$: BehaviorSubject<SessionState>;
  readonly events: Subject<SessionEvent>;
  readonly stop$: Subject<void>;
  /**
   * Generations the store renumbered (a sign-in written after another member's change): a 401
   * for the old number is a 401 for the same tokens, not a late one.
   */
  readonly renumbered: Map<number, number>;
  /**
   * Sign-ins this session knows under another id (rule 18): a state from the store that holds the
   * very tokens the session held is the same sign-in, whichever member wrote them first. Maps
   * the adopted `signIn` to the one the session's requests were pinned to. See {@link followSignIns}.
   */
  readonly sameSignIn: Map<string, string>;
  /** Set by `dispose()`: later calls fail with reason `disposed`. */
  disposed: boolean;
}

/** How a refresh ended: new tokens of ours, a revocation we saw, or another member's state we adopt. */
export interface RefreshOutcome {
  readonly state: SessionState;
  readonly kind: 'refreshed' | 'revoked' | 'adopted';
  /**
   * The token endpoint answered but the store did not take the result (it failed or did not
   * answer in time): the session keeps it anyway, since the old refresh token is spent, and
   * writes it to the store again as soon as it can.
   */
  readonly unstored?: boolean;
}

/**
 * A new state of this session's own making. A sign-in or sign-out starts a new sign-in id; a
 * refresh or a revocation keeps the one of `from`, the state it descends from.
 */
export function ownState(ctx: SessionContext, tokens: TokenSet | null, generation: number, change: SessionState['change'], from?: SessionState): SessionState {
  const signIn = change === 'sign-in' || change === 'sign-out' ? newSignIn() : from?.signIn;
  return { tokens, generation, revoked: change === 'revoked', receivedAt: ctx.config.scheduler.now(), change, signIn };
}

/** An opaque random id for a new sign-in (or sign-out): 128 random bits. */
export function newSignIn(): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36)).join('.');
}

/**
 * Keeps {@link SessionContext.sameSignIn}: a new state that holds the same tokens as the one
 * before it under another sign-in id (the store's copy of tokens this member also had, e.g. the
 * config's `tokens` another member wrote first) is the same sign-in, not a change.
 */
export function followSignIns(ctx: SessionContext): Subscription {
  let previous = ctx.state$.value;
  return ctx.state$.subscribe((state) => {
    const before = previous.signIn;
    if (state.signIn !== undefined && before !== undefined && state.signIn !== before && state.tokens && sameTokens(state.tokens, previous.tokens)) {
      ctx.sameSignIn.set(state.signIn, ctx.sameSignIn.get(before) ?? before);
    }
    previous = state;
  });
}

/** The sign-in a request pins for `state`: its id, or the one the session first knew those tokens under. */
export function signInOf(ctx: SessionContext, state: SessionState): string | undefined {
  const { signIn } = state;
  return signIn === undefined || ctx.sameSignIn.size === 0 ? signIn : (ctx.sameSignIn.get(signIn) ?? signIn);
}

/** True when both sets hold the same tokens (the same sign-in at the same point of rotation). */
export function sameTokens(a: TokenSet | null, b: TokenSet | null): boolean {
  return a?.accessToken === b?.accessToken && a?.refreshToken === b?.refreshToken;
}

/**
 * True when the store's answer to a write is the state written: the same generation, tokens,
 * change and sign-in. Tokens alone do not tell: a sign-out and another member's revocation at the
 * same generation both hold no tokens.
 */
export function isWritten(stored: SessionState, next: SessionState): boolean {
  return stored.generation === next.generation && sameTokens(stored.tokens, next.tokens) && stored.change === next.change && stored.revoked === next.revoked && stored.signIn === next.signIn;
}

/** Makes `next` the session's state and says so on `events$`. */
export function applyOutcome(ctx: SessionContext, { state, kind }: RefreshOutcome): void {
  const wasRevoked = ctx.state$.value.revoked;
  ctx.state$.next(state);
  if (kind === 'refreshed') {
    ctx.events.next({ type: 'refresh-succeeded', generation: state.generation, expiresAt: state.tokens?.expiresAt });
  } else if (state.revoked) {
    if (!wasRevoked) ctx.events.next({ type: 'session-revoked', generation: state.generation, origin: kind === 'revoked' ? 'local' : 'remote' });
  } else if (state.change !== 'revoked') {
    ctx.events.next({ type: 'tokens-changed', generation: state.generation, change: state.change, origin: 'remote' });
  }
}

/** Adopts a state another member shared, when it is newer than ours. */
export function adoptIfNewer(ctx: SessionContext, shared: SessionState): void {
  if (shared.generation > ctx.state$.value.generation) applyOutcome(ctx, { state: shared, kind: 'adopted' });
}
/*
 * A machine session (issue 24, rule 16): `tokens: 'fetch'`, no user and no refresh token. Its
 * "refresh" is a new grant (e.g. `oauth2ClientCredentialsGrant`), so it can always renew: with no
 * token yet (the first request, `refresh$`, or after `signOut()`) and with a token that expires or
 * meets a 401. Every rule of the protocol holds for the grant as for a refresh; what ends the
 * session is the client's own failure, as a TokenRevokedError from the grant.
 */

/**
 * Whether the session can renew the tokens of `state`: with their refresh token, or in a machine
 * session by a new grant. Never once revoked: that ends both kinds until `setTokens`.
 */
export function canRenew(state: SessionState, machine: boolean): boolean {
  return !state.revoked && (machine || state.tokens?.refreshToken !== undefined);
}

/**
 * The error of a revoked session's waiting and later requests. A machine session says it was the
 * client the token endpoint refused (there is nobody to send to sign-in).
 */
export function revokedError(machine: boolean): TokenRevokedError {
  if (!machine) return new TokenRevokedError();
  return new TokenRevokedError('The machine session ended: the token endpoint refused the client');
}
