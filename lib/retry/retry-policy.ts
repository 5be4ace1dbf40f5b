import type { RetryOption } from './retry-option.js';
import type { RetryBackoffConfig } from './retry-backoff.js';
import { checkRetryOption } from './check-retry-config.js';

/** Retries of transient errors when the app sets none: two, with the backoff defaults. */
export const DEFAULT_RETRY: RetryBackoffConfig = { maxRetries: 2 };

// RFC 9110 §9.2.2; POST and PATCH only with an Idempotency-Key or the caller's word.
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether a request may be sent again after a transient error (rule 8): an idempotent
 * method, an `Idempotency-Key` header, or the caller's explicit opt-in.
 */
export function mayRetryTransient(method: string, hasIdempotencyKey: boolean, optedIn = false): boolean {
  // The client and Angular pass methods upper-cased already: no new string per request for them.
  return optedIn || hasIdempotencyKey || IDEMPOTENT_METHODS.has(method) || IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/**
 * `option` laid over `base`: a number replaces the count, a config is merged, `false` turns retries
 * off. Anything else (`'three'`, `true`, `maxRetries: 1.5`) is a TypeError or RangeError naming
 * `what`: spread as a config it would have meant the default count without a word.
 */
export function mergeRetry(base: RetryBackoffConfig, option: RetryOption, what = '`retry`'): RetryBackoffConfig {
  checkRetryOption(option, what);
  if (option === false) return { ...base, maxRetries: 0 };
  if (typeof option === 'number') return { ...base, maxRetries: option };
  return { ...base, ...option };
}
