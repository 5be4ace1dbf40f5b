import type { RetryBackoffConfig } from './retry-backoff-config.js';
import type { RetryOption } from './retry-option.js';

type RetryKey = keyof RetryBackoffConfig;
const NUMBERS = ['baseDelay', 'maxDelay'] as const;
const BOOLEANS = ['jitter', 'retryAfter'] as const;
const FUNCTIONS = ['random', 'shouldRetry', 'onRetry'] as const;
const ALL_KEYS: readonly RetryKey[] = ['maxRetries', ...NUMBERS, ...BOOLEANS, ...FUNCTIONS, 'scheduler'];

/**
 * Throws at once, naming the field, when `config` is no usable {@link RetryBackoffConfig}: a
 * RangeError for a count that is not a whole number >= 0 (or `Infinity`) and a delay below 0 or
 * NaN; a TypeError for a field of the wrong type and for a field the config does not have
 * (`count`, a typo), which would otherwise be ignored without a word. `keys` narrows the fields
 * allowed (the session sets the scheduler and the retry decision itself). Messages quote no value.
 */
export function checkRetryConfig(config: unknown, what = 'retryBackoff', keys: readonly RetryKey[] = ALL_KEYS): asserts config is RetryBackoffConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new TypeError(`${what} must be a config object; got ${kind(config)}`);
  const fields = config as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(keys as readonly string[]).includes(key)) throw new TypeError(`${what} has no option \`${key}\`; it takes ${keys.join(', ')}`);
  }
  checkCount(fields.maxRetries, `${what}: \`maxRetries\``);
  for (const key of NUMBERS) {
    const value = fields[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw new TypeError(`${what}: \`${key}\` must be a number of ms; got ${kind(value)}`);
    if (!(value >= 0)) throw new RangeError(`${what}: \`${key}\` must be a number of ms >= 0; got ${String(value)}`);
  }
  for (const key of BOOLEANS) checkType(fields[key], 'boolean', `${what}: \`${key}\``);
  for (const key of FUNCTIONS) checkType(fields[key], 'function', `${what}: \`${key}\``);
  const { scheduler } = fields;
  if (scheduler !== undefined && !isScheduler(scheduler)) throw new TypeError(`${what}: \`scheduler\` must be a SchedulerLike (now() and schedule()); got ${kind(scheduler)}`);
}

/**
 * `option` when it is a {@link RetryOption}: `false`, a count (see {@link checkRetryConfig}) or a
 * config object; otherwise a TypeError or RangeError naming `what`. `'three'` or `true` used to be
 * spread as a config and mean the default count.
 */
export function checkRetryOption(option: unknown, what: string): RetryOption {
  if (option === false) return option;
  if (typeof option === 'number') {
    checkCount(option, what);
    return option;
  }
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(`${what} must be false, a number of retries or a RetryBackoffConfig object; got ${kind(option)}`);
  }
  checkRetryConfig(option, what);
  return option;
}

function checkCount(value: unknown, what: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number of retries; got ${kind(value)}`);
  if (!(value === Infinity || (Number.isInteger(value) && value >= 0))) {
    throw new RangeError(`${what} must be a whole number of retries >= 0 (or Infinity); got ${String(value)}`);
  }
}

function checkType(value: unknown, type: 'boolean' | 'function', what: string): void {
  if (value !== undefined && typeof value !== type) throw new TypeError(`${what} must be a ${type}; got ${kind(value)}`);
}

function isScheduler(value: unknown): boolean {
  const candidate = value as { now?: unknown; schedule?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.now === 'function' && typeof candidate.schedule === 'function';
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
