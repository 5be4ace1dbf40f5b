// lib/util/max-timer-delay.ts: the longest delay a timer honours.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY } from '../../lib/util/max-timer-delay.js';

describe('MAX_TIMER_DELAY', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is 2^31 - 1 ms, about 24.8 days', () => {
    expect(MAX_TIMER_DELAY).toBe(2 ** 31 - 1);
    expect(MAX_TIMER_DELAY / 86_400_000).toBeCloseTo(24.86, 2);
  });

  it('is the longest delay setTimeout waits for: one ms more fires at once', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined); // Node's TimeoutOverflowWarning
    const fired: string[] = [];
    const longest = setTimeout(() => fired.push('longest'), MAX_TIMER_DELAY);
    const over = setTimeout(() => fired.push('over'), MAX_TIMER_DELAY + 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    clearTimeout(longest);
    clearTimeout(over);
    expect(fired).toEqual(['over']);
  });
});
