// Pure number crunching for the benchmark: nearest-rank percentiles, latency summaries and
// fixed-width time buckets. No I/O, so the report is reproducible from the raw samples.

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentile (`p` in 0..1) of values sorted ascending; 0 for an empty input. The same
 * definition the simulator uses, so figures from both agree.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  return sorted[rank]!;
}

/** Sorted copy as a Float64Array (numeric sort; the input keeps its order). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>).sort();
}

export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileSorted(sortedCopy(values), p);
}

/** p50 / p99 / max, rounded to 0.01 ms so the JSON stays small. */
export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  return {
    count: n,
    p50: round2(percentileSorted(sorted, 0.5)),
    p99: round2(percentileSorted(sorted, 0.99)),
    max: round2(n === 0 ? 0 : sorted[n - 1]!),
  };
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** One time bucket of a timeline: `t` is the bucket's start, ms since the load began. */
export interface Bucket {
  t: number;
  /** Samples that fell in the bucket. */
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Groups (time, value) samples into buckets of `widthMs` starting at 0 and summarizes each. Every
 * bucket from 0 to the last sample is present (n = 0 where nothing happened), so a chart shows
 * gaps as gaps. Samples with a negative time are ignored.
 */
export function bucketize(times: ArrayLike<number>, values: ArrayLike<number>, widthMs: number, untilMs?: number): Bucket[] {
  if (times.length !== values.length) throw new RangeError('bucketize: times and values differ in length');
  if (!(widthMs > 0)) throw new RangeError('bucketize: widthMs must be > 0');
  let last = untilMs ?? -1;
  if (untilMs === undefined) for (let i = 0; i < times.length; i++) last = Math.max(last, times[i]!);
  const count = last < 0 ? 0 : Math.floor(last / widthMs) + 1;
  const groups: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t < 0) continue;
    const b = Math.floor(t / widthMs);
    if (b < count) groups[b]!.push(values[i]!);
  }
  return groups.map((g, i) => {
    const s = summarize(g);
    return { t: i * widthMs, n: s.count, p50: s.p50, p99: s.p99, max: s.max };
  });
}

/** Median of a list (mean of the middle two for even lengths); 0 when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Sampling interval of every event-loop delay histogram here (and prom-client's default). */
export const LOOP_RESOLUTION_MS = 10;

/**
 * Event-loop delay beyond the sampling interval, in ms: `monitorEventLoopDelay` (and prom-client's
 * `nodejs_eventloop_lag_*`, built on it) report the whole interval, so an idle loop reads ~10 ms.
 */
export function loopDelayMs(recordedNs: number, resolutionMs = LOOP_RESOLUTION_MS): number {
  if (!Number.isFinite(recordedNs)) return NaN;
  return round2(Math.max(0, recordedNs / 1e6 - resolutionMs));
}
