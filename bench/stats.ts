/** Small, dependency-free statistics for the report: medians with their spread, never means alone. */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Median absolute deviation (unscaled). */
  readonly mad: number;
  readonly n: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const m = median(values);
  return {
    median: m,
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
    mad: median(values.map((v) => Math.abs(v - m))),
    n: values.length,
  };
}

/** `1,234` style with a fixed number of decimals. */
export function fmt(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** `median ± MAD` (or a bare value when all runs agree or there was one run). */
export function fmtSummary(s: Summary, decimals = 0, unit = ''): string {
  if (s.n === 0) return 'n/a';
  if (s.n === 1 || s.mad === 0) return `${fmt(s.median, decimals)}${unit}${s.n > 1 && s.min !== s.max ? ` [${fmt(s.min, decimals)}–${fmt(s.max, decimals)}]` : ''}`;
  return `${fmt(s.median, decimals)}${unit} ± ${fmt(s.mad, decimals)}`;
}

/** `median [min–max]` for counts, where the range says more than a deviation. */
export function fmtRange(s: Summary, decimals = 0): string {
  if (s.n === 0) return 'n/a';
  if (s.min === s.max) return fmt(s.median, decimals);
  return `${fmt(s.median, decimals)} [${fmt(s.min, decimals)}–${fmt(s.max, decimals)}]`;
}

export function fmtBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  if (Math.abs(bytes) < 1024 * 1024) return `${(bytes / 1024).toFixed(2)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/**
 * A 95 % bootstrap interval of the median of `values`: the median recomputed over `draws`
 * resamples (with replacement), its 2.5th and 97.5th percentiles. How far another run of the same
 * rounds could move the median on this machine. Seeded, so a report and its log agree.
 */
export function medianInterval(values: readonly number[], draws = 5000, seed = 1): { readonly low: number; readonly high: number } {
  if (values.length === 0) return { low: NaN, high: NaN };
  let state = seed >>> 0 || 1;
  // xorshift32: enough for resampling, and the same numbers on every machine.
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const medians: number[] = [];
  const sample = new Array<number>(values.length);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)] as number;
    medians.push(median(sample));
  }
  medians.sort((a, b) => a - b);
  return { low: medians[Math.floor(draws * 0.025)] as number, high: medians[Math.ceil(draws * 0.975) - 1] as number };
}
