import * as angularHttp from '@angular/common/http';
import type { HttpInterceptorFn } from '@angular/common/http';
import {
  DestroyRef,
  ENVIRONMENT_INITIALIZER,
  EnvironmentInjector,
  ErrorHandler,
  inject,
  isDevMode,
  makeEnvironmentProviders,
  runInInjectionContext,
  type EnvironmentProviders,
} from '@angular/core';
import { asyncScheduler } from 'rxjs';
import { createOriginAllowList, originOf } from '../request/origin-allow-list.js';
import { createRequestPath } from '../request/request-path.js';
import { DEFAULT_RETRY, mergeRetry } from '../retry/retry-policy.js';
import type { RetryOption } from '../retry/retry-backoff-config.js';
import { createTokenSession, type TokenSession, type TokenSessionConfig } from '../session/create-token-session.js';
import type { SessionEvent } from '../session/session-event.js';
import { checkDuration } from '../util/check-duration.js';
import { INTERCEPTOR_USAGE, TOKEN_REFRESH_OPTIONS, TOKEN_REQUEST_PIPELINE, type TokenRefreshOptions } from './token-refresh-options.js';
import { TOKEN_SESSION } from './token-session-token.js';

/**
 * How {@link provideTokenRefresh} authorizes Angular's requests. Give it either a `session` you
 * created (and dispose yourself), or a `sessionConfig` from which it creates one that lives as
 * long as the environment injector.
 */
export type TokenRefreshConfig = TokenRefreshCommonConfig &
  (
    | {
        /** A session you created and own: it is shared as is, and not disposed with the injector. */
        readonly session: TokenSession;
        readonly sessionConfig?: undefined;
      }
    | {
        /** The session to create, on first use; it is disposed when the environment injector is destroyed. */
        readonly sessionConfig: TokenSessionConfig;
        readonly session?: undefined;
      }
  );

/** The part of {@link TokenRefreshConfig} that does not depend on where the session comes from. */
export interface TokenRefreshCommonConfig {
  /**
   * The origins that receive the access token, e.g. `['https://api.example.com']`. Requests to
   * any other origin pass through the interceptor untouched. Relative URLs are resolved against
   * `document.baseURI`, so list the app's own origin to authorize them.
   */
  readonly allowedOrigins: readonly string[];
  /**
   * Retries of transient errors (status 0, 408, 429, 5xx) on idempotent requests to the allowed
   * origins, with backoff and `Retry-After`. A number sets the count, `false` turns them off.
   * Without its own `scheduler` it uses the one of `sessionConfig`.
   * @default 2 retries, 300 ms base delay, full jitter
   */
  readonly retry?: RetryOption;
  /**
   * The whole request's limit in ms, `false` for none: its attempts, backoff waits and wait for
   * a refresh (rule 13); it then fails with `RequestTimeoutError`. Angular's own per-request
   * `timeout` option still limits each attempt. Runs on the `sessionConfig`'s scheduler.
   * @default 30000
   */
  readonly timeout?: number | false;
  /**
   * Called once each time the session is revoked (the token endpoint answered `invalid_grant`),
   * in the injection context of the environment injector, so it may `inject()`: typically the
   * router, to send the user to sign-in. An error it throws goes to Angular's `ErrorHandler`.
   */
  readonly onRevoked?: (event: Extract<SessionEvent, { type: 'session-revoked' }>) => void;
}

/**
 * Provides the {@link TOKEN_SESSION} and the settings that {@link tokenRefreshInterceptor} needs;
 * add the interceptor itself with `provideHttpClient(withInterceptors([tokenRefreshInterceptor]))`.
 * Every request through it follows the session's protocol: one refresh per token generation
 * across all services, late 401s retried without a second refresh, proactive refresh before
 * expiry, terminal revocation, tokens sent to `allowedOrigins` only.
 *
 * The session is created when the environment injector is, so `onRevoked` hears every revocation.
 * Throws a TypeError at once when the config is unusable.
 *
 * @example
 * export const appConfig: ApplicationConfig = {
 *   providers: [
 *     provideHttpClient(withFetch(), withInterceptors([tokenRefreshInterceptor])),
 *     provideTokenRefresh({
 *       allowedOrigins: ['https://api.example.com'],
 *       sessionConfig: { refresh: oauth2RefreshGrant({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'web' }) },
 *       onRevoked: () => inject(Router).navigate(['/sign-in']),
 *     }),
 *   ],
 * };
 */
export function provideTokenRefresh(config: TokenRefreshConfig): EnvironmentProviders {
  const options = resolveOptions(config);
  return makeEnvironmentProviders([
    { provide: TOKEN_REFRESH_OPTIONS, useValue: options },
    { provide: TOKEN_SESSION, useFactory: () => config.session ?? ownSession(config.sessionConfig as TokenSessionConfig) },
    {
      provide: TOKEN_REQUEST_PIPELINE,
      useFactory: () => createRequestPath({ access: inject(TOKEN_SESSION), allowList: options.allowList, scheduler: options.scheduler }),
    },
    { provide: INTERCEPTOR_USAGE, useFactory: () => ({ ran: false, checked: false }) },
    ...missingInterceptorCheck(),
    // The token rather than provideEnvironmentInitializer(), which only Angular 19 and later have.
    { provide: ENVIRONMENT_INITIALIZER, multi: true, useValue: () => watchRevocation(config.onRevoked) },
  ]);
}

function ownSession(sessionConfig: TokenSessionConfig): TokenSession {
  const session = createTokenSession(sessionConfig);
  inject(DestroyRef).onDestroy(() => session.dispose());
  return session;
}

function watchRevocation(onRevoked: TokenRefreshCommonConfig['onRevoked']): void {
  const session = inject(TOKEN_SESSION);
  if (!onRevoked) return;
  const injector = inject(EnvironmentInjector);
  const errorHandler = inject(ErrorHandler, { optional: true });
  const subscription = session.events$.subscribe((event) => {
    if (event.type !== 'session-revoked') return;
    try {
      runInInjectionContext(injector, () => onRevoked(event));
    } catch (error) {
      if (!errorHandler) throw error;
      errorHandler.handleError(error);
    }
  });
  inject(DestroyRef).onDestroy(() => subscription.unsubscribe());
}

function resolveOptions(config: TokenRefreshConfig): TokenRefreshOptions {
  if ((config.session === undefined) === (config.sessionConfig === undefined)) {
    throw new TypeError('provideTokenRefresh: pass either `session` or `sessionConfig`');
  }
  const { allowedOrigins } = config;
  if (!Array.isArray(allowedOrigins) || allowedOrigins.length === 0) {
    throw new TypeError('provideTokenRefresh: `allowedOrigins` must list the origins that receive the token');
  }
  const retry = mergeRetry(DEFAULT_RETRY, config.retry ?? DEFAULT_RETRY);
  const scheduler = config.sessionConfig?.scheduler ?? asyncScheduler;
  return {
    allowList: createOriginAllowList(allowedOrigins.map((origin) => originOf(origin, 'provideTokenRefresh: allowed origins'))),
    retry: { ...retry, scheduler: retry.scheduler ?? scheduler },
    timeout: checkDuration(config.timeout ?? 30_000, 'provideTokenRefresh: `timeout`', { min: 1, orFalse: true }),
    scheduler,
  };
}



// Angular has no public way to list the interceptors of an injector. Its root interceptors (the
// token behind withHttpTransferCache, exported as ɵHTTP_ROOT_INTERCEPTOR_FNS) run after every
// interceptor of withInterceptors(), so by the time this one sees the first request,
// tokenRefreshInterceptor has run if it is there at all. Dev mode only; skipped where the token
// does not exist. Read through the namespace so an Angular without it still loads this file.
function missingInterceptorCheck(): { provide: unknown; multi: true; useValue: HttpInterceptorFn }[] {
  const rootInterceptors = (angularHttp as Record<string, unknown>)['ɵHTTP_ROOT_INTERCEPTOR_FNS'];
  if (rootInterceptors === undefined) return [];
  const check: HttpInterceptorFn = (req, next) => {
    const usage = inject(INTERCEPTOR_USAGE, { optional: true });
    if (usage && !usage.checked) {
      usage.checked = true;
      if (!usage.ran && isDevMode()) {
        console.warn(
          'rx-token-http: provideTokenRefresh() is set up but tokenRefreshInterceptor did not run for an HttpClient request, ' +
            'so no access token is sent. Add it: provideHttpClient(withInterceptors([tokenRefreshInterceptor])).',
        );
      }
    }
    return next(req);
  };
  return [{ provide: rootInterceptors, multi: true, useValue: check }];
}
