import { InjectionToken } from '@angular/core';
import type { SchedulerLike } from 'rxjs';
import type { OriginAllowList } from '../request/origin-allow-list.js';
import type { RequestPath } from '../request/request-path.js';
import type { RetryBackoffConfig } from '../retry/retry-backoff.js';

/** What {@link provideTokenRefresh} hands to the interceptor, checked and with defaults filled in. */
export interface TokenRefreshOptions {
  /** Origins (`https://api.example.com`) whose requests get the token. */
  readonly allowList: OriginAllowList;
  /** Retries of transient errors on idempotent requests; `maxRetries: 0` turns them off. */
  readonly retry: RetryBackoffConfig;
  /** The whole request's limit in ms, or `false`. */
  readonly timeout: number | false;
  /** Where the request deadline runs. */
  readonly scheduler: SchedulerLike;
}

/** Provided by {@link provideTokenRefresh}; its absence means the provider was forgotten. */
export const TOKEN_REFRESH_OPTIONS = new InjectionToken<TokenRefreshOptions>('TOKEN_REFRESH_OPTIONS');

/** The request pipeline of this injector, over its {@link TOKEN_SESSION}. */
export const TOKEN_REQUEST_PIPELINE = new InjectionToken<RequestPath>('TOKEN_REQUEST_PIPELINE');

/** Whether the interceptor ran in this injector, for the dev-mode check of a missing interceptor. */
export const INTERCEPTOR_USAGE = new InjectionToken<{ ran: boolean; checked: boolean }>('INTERCEPTOR_USAGE');
