import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../lib/retry/backoff-delay.js';

describe('backoffDelay', () => {
  const base = { baseDelay: 100, maxDelay: 1_000, jitter: false, random: () => 0.5 };

  describe('when jitter is off', () => {
    it('doubles from the base and caps at the maximum', () => {
      expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, base))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    });
  });

  describe('when jitter is on', () => {
    it('scales the capped wait by the random source (full jitter)', () => {
      const config = { ...base, jitter: true };
      expect(backoffDelay(3, { ...config, random: () => 0.5 })).toBe(200);
      expect(backoffDelay(3, { ...config, random: () => 0 })).toBe(0);
      expect(backoffDelay(9, { ...config, random: () => 0.999 })).toBe(999);
    });
  });
});
