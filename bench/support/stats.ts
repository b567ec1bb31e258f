/** Percentiles and small summaries shared by the benches (pure). */

/** The nearest-rank percentile of `values` (need not be sorted); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** Rounds to `digits` decimals (JSON-friendly; NaN and infinities become null). */
export function round(value: number, digits = 1): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** p50/p99/max of latencies in ms, rounded. */
export function latencySummary(values: readonly number[]): {
  p50: number | null;
  p99: number | null;
  max: number | null;
} {
  return {
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(values.length === 0 ? Number.NaN : Math.max(...values)),
  };
}

/** a / b, rounded, or null when b is 0 or either is not a number. */
export function ratio(a: number | null, b: number | null, digits = 2): number | null {
  if (a === null || b === null || b === 0) return null;
  return round(a / b, digits);
}
