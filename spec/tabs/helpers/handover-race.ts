import type { Page } from 'playwright-core';
import { call } from './chromium.js';

/** What {@link raceHandovers} saw. */
export interface HandoverRace {
  /** Generations written, one per step, sorted. */
  readonly written: readonly number[];
  /** Steps whose holder read an older generation than the last one written: each a refresh with a spent token. */
  readonly staleReads: number;
  readonly steps: number;
}

/**
 * The lock handover race on the store alone: in each round every page (whose harness opened a
 * store and lock) takes the lock a few ms after the others, with a busy main thread, reads,
 * "calls the token endpoint" for 0-5 ms, writes generation + 1 and releases. A holder that reads a
 * stale copy has its write refused (it would have spent a rotated refresh token).
 */
export async function raceHandovers(pages: readonly Page[], rounds: number): Promise<HandoverRace> {
  const steps: { read: number; wrote: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const results = await Promise.all(
      pages.map((page, i) =>
        call(page, 'lockedStep', { holdMs: Math.floor(Math.random() * 6), busyMs: Math.floor(Math.random() * 4), delay: Math.floor(Math.random() * 4), tag: `t${i}` }),
      ),
    );
    steps.push(...results);
  }
  return {
    written: steps.map((step) => step.wrote).filter((wrote) => wrote > 0).sort((x, y) => x - y),
    staleReads: steps.filter((step) => step.wrote !== step.read + 1).length,
    steps: steps.length,
  };
}
