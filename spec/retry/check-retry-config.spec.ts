import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { checkRetryConfig, checkRetryOption } from '../../lib/retry/check-retry-config.js';

const check = (config: unknown, callerSets?: Parameters<typeof checkRetryConfig>[2]) => () => checkRetryConfig(config, 'cfg', callerSets);

describe('checkRetryConfig', () => {
  it('accepts every field with a value of its type, and fields left undefined', () => {
    const full = { maxRetries: Infinity, baseDelay: 0, maxDelay: 10, jitter: false, random: Math.random, retryAfter: true, shouldRetry: () => true, onRetry: () => undefined, scheduler: asyncScheduler };
    expect(check(full)).not.toThrow();
    expect(check({ maxRetries: undefined, scheduler: undefined })).not.toThrow();
    expect(check({})).not.toThrow();
  });

  it('throws a TypeError when the config is no plain object, saying what it got', () => {
    expect(check(null)).toThrow(new TypeError('cfg must be a config object; got null'));
    expect(check([])).toThrow(new TypeError('cfg must be a config object; got an array'));
    expect(check(3)).toThrow(new TypeError('cfg must be a config object; got number'));
  });

  it('throws a TypeError naming a field the config does not have or the caller sets itself, and the fields it takes', () => {
    expect(check({ count: 3 })).toThrow(new TypeError('cfg has no option `count`; it takes maxRetries, baseDelay, maxDelay, jitter, retryAfter, random, shouldRetry, onRetry, scheduler'));
    const callerSets = ['scheduler', 'shouldRetry', 'random', 'onRetry'] as const;
    expect(check({ scheduler: asyncScheduler }, callerSets)).toThrow(new TypeError('cfg has no option `scheduler`; it takes maxRetries, baseDelay, maxDelay, jitter, retryAfter'));
    expect(check({ maxRetries: 1 }, callerSets)).not.toThrow();
  });

  it('throws a TypeError naming the field and the type it got, never the value', () => {
    expect(check({ maxRetries: '3' })).toThrow(new TypeError('cfg: `maxRetries` must be a number of retries; got string'));
    expect(check({ baseDelay: 'secret-ish' })).toThrow(new TypeError('cfg: `baseDelay` must be a number of ms; got string'));
    expect(check({ retryAfter: 1 })).toThrow(new TypeError('cfg: `retryAfter` must be a boolean; got number'));
    expect(check({ shouldRetry: true })).toThrow(new TypeError('cfg: `shouldRetry` must be a function; got boolean'));
    expect(check({ scheduler: null })).toThrow(new TypeError('cfg: `scheduler` must be a SchedulerLike (now() and schedule()); got null'));
    expect(check({ scheduler: { now: () => 0 } })).toThrow(new TypeError('cfg: `scheduler` must be a SchedulerLike (now() and schedule()); got object'));
  });

  it('throws a RangeError for a count that is not a whole number >= 0 and a delay below 0 or NaN', () => {
    expect(check({ maxRetries: -1 })).toThrow(new RangeError('cfg: `maxRetries` must be a whole number of retries >= 0 (or Infinity); got -1'));
    expect(check({ maxRetries: Number.NaN })).toThrow(RangeError);
    expect(check({ maxDelay: -1 })).toThrow(new RangeError('cfg: `maxDelay` must be a number of ms >= 0; got -1'));
    expect(check({ baseDelay: Number.NaN })).toThrow(new RangeError('cfg: `baseDelay` must be a number of ms >= 0; got NaN'));
  });
});

describe('checkRetryOption', () => {
  it('returns false, a count or a config as given', () => {
    const config = { maxRetries: 1 };
    expect(checkRetryOption(false, 'opt')).toBe(false);
    expect(checkRetryOption(0, 'opt')).toBe(0);
    expect(checkRetryOption(Infinity, 'opt')).toBe(Infinity);
    expect(checkRetryOption(config, 'opt')).toBe(config);
  });

  it('throws a TypeError for anything else, naming what it takes', () => {
    for (const [option, got] of [['three', 'string'], [true, 'boolean'], [null, 'null'], [[1], 'an array']] as const) {
      expect(() => checkRetryOption(option, 'opt')).toThrow(new TypeError(`opt must be false, a number of retries or a RetryBackoffConfig object; got ${got}`));
    }
  });

  it('checks a count and a config as checkRetryConfig does', () => {
    expect(() => checkRetryOption(1.5, 'opt')).toThrow(new RangeError('opt must be a whole number of retries >= 0 (or Infinity); got 1.5'));
    expect(() => checkRetryOption({ maxRetries: 1.5 }, 'opt')).toThrow(new RangeError('opt: `maxRetries` must be a whole number of retries >= 0 (or Infinity); got 1.5'));
    expect(() => checkRetryOption({ retries: 3 }, 'opt')).toThrow(/^opt has no option `retries`/);
  });
});
