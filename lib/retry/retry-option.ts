import type { RetryBackoffConfig } from './retry-backoff-config.js';

/** A retry policy: a number of retries, a policy merged over the client's, or `false` for none. */
export type RetryOption = number | RetryBackoffConfig | false;
