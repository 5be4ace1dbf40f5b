import type fc from 'fast-check';

/**
 * fast-check parameters of the property specs, from the environment:
 * - `PROPERTY_RUNS`: how many runs (default `runs`);
 * - `PROPERTY_SEED` and `PROPERTY_PATH`: replay the failure a report printed (fast-check's
 *   message names both: `{ seed: …, path: "…" }`), which is how a rare failure of a loaded
 *   machine is reproduced rather than lost.
 */
export function propertyRuns<Ts>(runs: number): fc.Parameters<Ts> {
  const seed = process.env.PROPERTY_SEED;
  const path = process.env.PROPERTY_PATH;
  return {
    numRuns: Number(process.env.PROPERTY_RUNS ?? runs),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path !== undefined ? { path } : {}),
  };
}
