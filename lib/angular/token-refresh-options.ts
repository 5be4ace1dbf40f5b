import { InjectionToken } from '@angular/core';
import type { RetryOption } from '../client/http-request.js';
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

/** The same default as the core client: two retries. */
export const DEFAULT_RETRY: RetryBackoffConfig = { maxRetries: 2 };

/** `option` laid over `base`: a number replaces the count, a config is merged, `false` turns retries off. */
export function mergeRetry(base: RetryBackoffConfig, option: RetryOption): RetryBackoffConfig {
  if (option === false) return { ...base, maxRetries: 0 };
  if (typeof option === 'number') return { ...base, maxRetries: option };
  return { ...base, ...option };
}
