import { describe, expect, it } from 'vitest';
import { checkDuration } from '../../lib/util/check-duration.js';
import { MAX_TIMER_DELAY } from '../../lib/util/max-timer-delay.js';

describe('checkDuration', () => {
  it('returns a number of ms from the minimum (0 by default) to the longest timer delay', () => {
    expect(checkDuration(0, 'x')).toBe(0);
    expect(checkDuration(1.5, 'x')).toBe(1.5);
    expect(checkDuration(MAX_TIMER_DELAY, 'x')).toBe(MAX_TIMER_DELAY);
    expect(checkDuration(3, 'x', { min: 3 })).toBe(3);
  });

  it('returns false only where the rule allows it', () => {
    expect(checkDuration(false, 'x', { orFalse: true })).toBe(false);
    expect(() => checkDuration(false, 'x')).toThrow(new TypeError('x must be a number of ms from 0 to 2147483647; got boolean'));
  });

  it('throws a TypeError naming the option, the range and the number or type it got', () => {
    expect(() => checkDuration(MAX_TIMER_DELAY + 1, 'opt')).toThrow(new TypeError('opt must be a number of ms from 0 to 2147483647; got 2147483648'));
    expect(() => checkDuration(0, 'opt', { min: 1, orFalse: true })).toThrow(new TypeError('opt must be a number of ms from 1 to 2147483647, or false; got 0'));
    expect(() => checkDuration(Number.NaN, 'opt')).toThrow(/; got NaN$/);
    expect(() => checkDuration(Infinity, 'opt')).toThrow(/; got Infinity$/);
    expect(() => checkDuration(-1, 'opt')).toThrow(/; got -1$/);
    expect(() => checkDuration('30s', 'opt')).toThrow(/; got string$/);
    expect(() => checkDuration(null, 'opt')).toThrow(/; got object$/);
  });
});
