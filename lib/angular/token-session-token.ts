import { InjectionToken } from '@angular/core';
import type { TokenSession } from '../session/create-token-session.js';

/**
 * The {@link TokenSession} that {@link tokenRefreshInterceptor} authorizes requests with, as
 * provided by {@link provideTokenRefresh}. Inject it to sign in (`setTokens`), sign out, or watch
 * `tokens$` and `events$`.
 *
 * @example
 * export class SignInPage {
 *   private readonly session = inject(TOKEN_SESSION);
 *   signedIn(tokens: TokenSet) {
 *     this.session.setTokens(tokens);
 *   }
 * }
 */
export const TOKEN_SESSION = new InjectionToken<TokenSession>('TOKEN_SESSION');
