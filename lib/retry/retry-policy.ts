import type { RetryOption } from './retry-backoff-config.js';
import type { RetryBackoffConfig } from './retry-backoff.js';
import { checkRetryOption } from './check-retry-config.js';

/** Retries of transient errors when the app sets none: two, with the backoff defaults. */
export const DEFAULT_RETRY: RetryBackoffConfig = { maxRetries: 2 };

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
