import { inject, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { distinctUntilChanged, map, merge, scan, type Observable } from 'rxjs';
import type { TokenSession } from '../session/create-token-session.js';
import type { SessionEvent } from '../session/session-event.js';
import { TOKEN_SESSION } from './token-session-token.js';

/**
 * What a template shows of the session: `signed-out` (no tokens), `signed-in`, `refreshing`
 * (this app's refresh is running; requests wait for it), `revoked` (the token endpoint ended
 * the session: requests fail with `TokenRevokedError` until the next sign-in).
 */
export type SessionStatus = 'signed-out' | 'signed-in' | 'refreshing' | 'revoked';

/**
 * The status of the session {@link provideTokenRefresh} provides, as a signal: templates read it
 * without subscribing, zoneless or not. Call it in an injection context (a field initializer);
 * it follows the session until the context is destroyed.
 *
 * @example
 * export class Header {
 *   readonly status = injectSessionStatus(); // template: @if (status() === 'revoked') { <sign-in-link /> }
 * }
 */
export function injectSessionStatus(): Signal<SessionStatus> {
  const session = inject(TOKEN_SESSION);
  return toSignal(sessionStatus$(session), { initialValue: statusOf(session, false) });
}

function sessionStatus$(session: TokenSession): Observable<SessionStatus> {
  // The tokens decide signed in, signed out or revoked; the session's own refresh events whether
  // it is refreshing now. Any change of tokens (a refresh landing, a sign-in, another member's
  // change) ends the refresh this status shows.
  const refreshing$ = merge(session.tokens$.pipe(map(() => false)), session.events$.pipe(map(isRefreshing))).pipe(
    scan((was, now) => now ?? was, false),
  );
  return refreshing$.pipe(
    map((refreshing) => statusOf(session, refreshing)),
    distinctUntilChanged(),
  );
}

// true: a refresh began; false: it ended; undefined: says nothing about refreshing.
function isRefreshing(event: SessionEvent): boolean | undefined {
  if (event.type === 'refresh-started') return true;
  if (event.type === 'refresh-succeeded' || event.type === 'refresh-failed' || event.type === 'session-revoked') return false;
  return undefined;
}

function statusOf(session: TokenSession, refreshing: boolean): SessionStatus {
  const { tokens, revoked } = session.state;
  if (revoked) return 'revoked';
  if (tokens === null) return 'signed-out';
  return refreshing ? 'refreshing' : 'signed-in';
}
