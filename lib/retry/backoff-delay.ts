/** The numbers behind one backoff wait. */
export interface BackoffDelayConfig {
  /** The cap of the first wait, in ms; it doubles with each retry. */
  readonly baseDelay: number;
  /** No wait is longer than this, in ms. */
  readonly maxDelay: number;
  /** Full jitter (a uniform wait between 0 and the cap, as AWS recommends) when true. */
  readonly jitter: boolean;
  /** A number in [0, 1); injectable so tests can pin the jitter. */
  readonly random: () => number;
}

/**
 * How long to wait before retry number `attempt` (1 for the first retry):
 * `min(maxDelay, baseDelay · 2^(attempt-1))`, times a random factor in [0, 1) with jitter on.
 */
export function backoffDelay(attempt: number, config: BackoffDelayConfig): number {
  const cap = Math.min(config.maxDelay, config.baseDelay * 2 ** Math.max(0, attempt - 1));
  return config.jitter ? Math.floor(cap * config.random()) : cap;
}
