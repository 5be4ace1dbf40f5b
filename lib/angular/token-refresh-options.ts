import { InjectionToken } from '@angular/core';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';

/** What {@link provideTokenRefresh} hands to the interceptor, checked and with defaults filled in. */
export interface TokenRefreshOptions {
  /** Origins (`https://api.example.com`) whose requests get the token. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Retries of transient errors on idempotent requests; `maxRetries: 0` turns them off. */
  readonly retry: RetryBackoffConfig;
}

/** Provided by {@link provideTokenRefresh}; its absence means the provider was forgotten. */
export const TOKEN_REFRESH_OPTIONS = new InjectionToken<TokenRefreshOptions>('TOKEN_REFRESH_OPTIONS');
