import type { LatencySummary } from './types';

/** Nearest-rank percentiles over a copy (the input keeps its arrival order). */
export function summarize(values: readonly number[]): LatencySummary {
  const count = values.length;
  if (count === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1))]!;
  return { p50: rank(0.5), p99: rank(0.99), max: sorted[count - 1]!, count };
}
