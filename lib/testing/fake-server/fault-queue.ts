import type { FakeFaultOptions, FakeTokenFault, ScriptedFault } from './token-faults.js';

/** Scripted faults for one endpoint, oldest first; each request takes one. */
export interface FaultQueue {
  /** Adds `count` requests' worth of `kind` after those already scripted; `Infinity` means every later one. */
  add(count: number, kind: FakeTokenFault, options?: FakeFaultOptions): void;
  /** The fault for the request arriving now, if any. */
  take(): ScriptedFault | undefined;
  clear(): void;
}

/** An empty queue. Runs of one kind are stored with a count, so `Infinity` costs nothing. */
export function createFaultQueue(): FaultQueue {
  const runs: { fault: ScriptedFault; remaining: number }[] = [];
  return {
    add(count, kind, options = {}) {
      if (!(Number.isInteger(count) || count === Infinity) || count < 0) {
        throw new RangeError(`count must be a non-negative integer or Infinity, got ${count}`);
      }
      if (count > 0) runs.push({ fault: { ...options, kind }, remaining: count });
    },
    take() {
      const run = runs[0];
      if (!run) return undefined;
      if (--run.remaining <= 0) runs.shift();
      return run.fault;
    },
    clear() {
      runs.length = 0;
    },
  };
}
