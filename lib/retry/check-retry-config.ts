import type { RetryBackoffConfig, RetryOption } from './retry-backoff-config.js';

type RetryKey = keyof RetryBackoffConfig;

// Each field of a RetryBackoffConfig: the `typeof` it needs, and what a message says it takes.
const FIELDS: { readonly [K in RetryKey]-?: readonly [type: string, takes: string] } = {
  maxRetries: ['number', 'a number of retries'],
  baseDelay: ['number', 'a number of ms'],
  maxDelay: ['number', 'a number of ms'],
  jitter: ['boolean', 'a boolean'],
  retryAfter: ['boolean', 'a boolean'],
  random: ['function', 'a function'],
  shouldRetry: ['function', 'a function'],
  onRetry: ['function', 'a function'],
  scheduler: ['object', 'a SchedulerLike (now() and schedule())'],
};
const ALL_KEYS = Object.keys(FIELDS) as readonly RetryKey[];

/**
 * Throws at once, naming the field, when `config` is no usable {@link RetryBackoffConfig}: a
 * RangeError for a count that is not a whole number >= 0 (or `Infinity`) and a delay below 0 or
 * NaN; a TypeError for a field of the wrong type and for a field the config does not have
 * (`count`, a typo), which would otherwise be ignored without a word, or that the caller sets
 * itself (`callerSets`: the session sets the scheduler and the retry decision). Messages quote no value.
 */
export function checkRetryConfig(config: unknown, what = 'retryBackoff', callerSets: readonly RetryKey[] = []): asserts config is RetryBackoffConfig {
  if (!isConfigObject(config)) throw new TypeError(`${what} must be a config object; got ${kind(config)}`);
  const keys = ALL_KEYS.filter((key) => !callerSets.includes(key));
  for (const [key, value] of Object.entries(config)) {
    if (!keys.includes(key as RetryKey)) throw new TypeError(`${what} has no option \`${key}\`; it takes ${keys.join(', ')}`);
    if (value === undefined) continue;
    const [type, takes] = FIELDS[key as RetryKey];
    const field = `${what}: \`${key}\``;
    if (typeof value !== type || (key === 'scheduler' && !isScheduler(value))) throw new TypeError(`${field} must be ${takes}; got ${kind(value)}`);
    if (key === 'maxRetries') checkCount(value as number, field);
    else if (type === 'number' && !((value as number) >= 0)) throw new RangeError(`${field} must be a number of ms >= 0; got ${String(value)}`);
  }
}

/**
 * `option` when it is a {@link RetryOption}: `false`, a count (see {@link checkRetryConfig}) or a
 * config object; otherwise a TypeError or RangeError naming `what`. `'three'` or `true` used to be
 * spread as a config and mean the default count.
 */
export function checkRetryOption(option: unknown, what: string): RetryOption {
  if (typeof option === 'number') checkCount(option, what);
  else if (option !== false) {
    if (!isConfigObject(option)) throw new TypeError(`${what} must be false, a number of retries or a RetryBackoffConfig object; got ${kind(option)}`);
    checkRetryConfig(option, what);
  }
  return option as RetryOption;
}

function checkCount(count: number, what: string): void {
  if (count !== Infinity && !(Number.isInteger(count) && count >= 0)) throw new RangeError(`${what} must be a whole number of retries >= 0 (or Infinity); got ${count}`);
}

function isConfigObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScheduler(value: unknown): boolean {
  const candidate = value as { now?: unknown; schedule?: unknown } | null;
  return candidate !== null && typeof candidate.now === 'function' && typeof candidate.schedule === 'function';
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
