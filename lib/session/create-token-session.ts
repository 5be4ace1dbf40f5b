import { BehaviorSubject, Subject, Subscription } from 'rxjs';
import { checkedTokens, type SessionState } from './token-set.js';
import { refreshAlone } from './refresh-steps.js';
import { startRefreshAhead } from './refresh-ahead.js';
import { Refreshes } from './refreshes.js';
import { createSessionAccess } from './session-access.js';
import { resolveSessionConfig, type TokenSessionConfig } from './session-config.js';
import { followSignIns, newSignIn, type SessionContext } from './session-context.js';
import { createSessionControls, type SessionControls } from './session-controls.js';
import type { SessionEvent } from './session-event.js';
import type { StoreSync } from './sharing/store-sync.js';
import type { TokenAccess } from './token-access.js';
import { CONNECT_SESSION } from './token-store.js';

export type { TokenSessionConfig } from './session-config.js';
export type { CurrentToken } from './token-access.js';
export type { SessionControls } from './session-controls.js';

/**
 * One user's tokens (or, with `tokens: 'fetch'`, a service's own), refreshed at most once per
 * generation however many requests ask. Create it with {@link createTokenSession} and give it
 * to {@link createHttpClient}.
 */
export interface TokenSession extends SessionControls, TokenAccess {}

/**
 * Creates a {@link TokenSession}: the tokens of one user, with a refresh protocol that holds
 * under load. However many requests get 401 for one generation, one refresh runs; 401s that
 * arrive after it are retried with the new token; waiters that unsubscribe do not cancel it;
 * `invalid_grant` ends the session with {@link TokenRevokedError}. With a `share` (a store and
 * a lock) the same holds across tabs or processes. Throws a TypeError at once on an unusable config.
 * With `tokens: 'fetch'` it is a machine session: no user, no refresh token, every renewal a new
 * grant (e.g. {@link oauth2ClientCredentialsGrant}); see docs/machine-sessions.md.
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
  const { scheduler, share } = resolved;
  const { dpop } = resolved;
  const given = config.tokens && !resolved.machine ? checkedTokens(config.tokens, scheduler.now(), 'createTokenSession') : null;
  const initial = given && dpop.stamp(given);
  const ctx: SessionContext = {
    config: resolved,
    state$: new BehaviorSubject<SessionState>({ tokens: initial, generation: 0, revoked: false, receivedAt: scheduler.now(), change: 'sign-in', signIn: newSignIn() }),
    events: new Subject<SessionEvent>(),
    stop$: new Subject<void>(),
    renumbered: new Map(),
    sameSignIn: new Map(),
    disposed: false,
  };
  // Before anything else watches the state: a request asks its sign-in of states already followed.
  followSignIns(ctx);
  // The sharing protocol comes with `share`: a session that shares nothing never loads it, and
  // a share with no medium (shareAcrossTabs on a server) connects nothing.
  const connect = share?.[CONNECT_SESSION] as ((session: SessionContext) => StoreSync | undefined) | undefined;
  const sync = connect?.(ctx);
  const refreshes = new Refreshes(ctx, sync ?? refreshAlone(ctx));
  const subscriptions = new Subscription();
  if (resolved.refreshAhead) subscriptions.add(startRefreshAhead(ctx, refreshes));
  const access = createSessionAccess(ctx, refreshes, sync);
  // Assigned, not spread: `state` is a getter.
  // DPoP-bound tokens go with a proof of the key they are bound to, or not at all (rule 15).
  const sendWithProof: NonNullable<TokenAccess['dpop']>['sendWithProof'] = (method, url, token, send) => dpop.sendWithProof(method, url, token, send, ctx.state$.value.tokens?.keyThumbprint);
  return Object.assign(createSessionControls(ctx, access, sync, subscriptions, () => refreshes.landing), access, { dpop: { sendWithProof } });
}
