import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, mergeRetry } from '../../lib/retry/retry-policy.js';

describe('the retry policy of a request', () => {
  it('retries transient errors twice when the app sets nothing', () => {
    expect(DEFAULT_RETRY).toEqual({ maxRetries: 2 });
  });

  it('lays an option over the base: a count replaces the count, a config is merged, false turns retries off', () => {
    const base = { maxRetries: 2, baseDelay: 100 };
    expect(mergeRetry(base, 5)).toEqual({ maxRetries: 5, baseDelay: 100 });
    expect(mergeRetry(base, { maxDelay: 1000 })).toEqual({ maxRetries: 2, baseDelay: 100, maxDelay: 1000 });
    expect(mergeRetry(base, false)).toEqual({ maxRetries: 0, baseDelay: 100 });
    expect(base).toEqual({ maxRetries: 2, baseDelay: 100 });
  });

  it('refuses anything else, naming what it was given as', () => {
    expect(() => mergeRetry(DEFAULT_RETRY, 'three' as never, '`retry` of GET /x')).toThrow(/`retry` of GET \/x/);
    expect(() => mergeRetry(DEFAULT_RETRY, true as never)).toThrow(TypeError);
    expect(() => mergeRetry(DEFAULT_RETRY, 1.5)).toThrow(RangeError);
    expect(() => mergeRetry(DEFAULT_RETRY, { maxRetries: -1 })).toThrow(RangeError);
  });
});
