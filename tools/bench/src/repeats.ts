// `--repeat N`: a comparison scenario runs N times per system. The tables and charts show the run
// with the median ack p99; the summary shows the range, and faults (lost, twice, waited,
// redelivered) are counted over every run, so a fault in any run is never hidden by the median.
import type { LoadResult } from './load-types';
import type { RepeatRun, Scenario, SystemName, SystemRun } from './result-types';

/** Most times one scenario may run per system: every run stays bounded in time. */
export const MAX_REPEAT = 10;

/**
 * The run with the median ack p99. With an even count the worse of the two middle runs, so the
 * shown figure never flatters.
 */
export function medianRun<T extends { load: Pick<LoadResult, 'ackLatencyMs'> }>(runs: readonly T[]): T {
  if (runs.length === 0) throw new RangeError('medianRun: no runs');
  const sorted = [...runs].sort((a, b) => a.load.ackLatencyMs.p99 - b.load.ackLatencyMs.p99);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function withoutTimeline(run: SystemRun): RepeatRun {
  const { timeline: _timeline, ...load } = run.load;
  return { ...run, load };
}

/** Every run of a system in a scenario; results without `repeats` had exactly the one in `runs`. */
export function repeatsOf(scenario: Scenario, system: SystemName): RepeatRun[] {
  const all = scenario.repeats?.[system];
  if (all && all.length > 0) return all;
  const one = scenario.runs[system];
  return one ? [one] : [];
}

export interface FaultTotals {
  runs: number;
  lost: number;
  undelivered: number;
  unanswered: number;
  handledTwice: number;
  waitedForSocket: number;
  redelivered: number;
}

/** Faults summed over runs. */
export function faultTotals(runs: readonly RepeatRun[]): FaultTotals {
  const total: FaultTotals = { runs: runs.length, lost: 0, undelivered: 0, unanswered: 0, handledTwice: 0, waitedForSocket: 0, redelivered: 0 };
  for (const { load } of runs) {
    total.lost += load.envelopes.lost;
    // `?? 0`: results written before `undelivered` existed can still be rendered (--render).
    total.undelivered += load.envelopes.undelivered ?? 0;
    total.unanswered += load.envelopes.unanswered;
    total.handledTwice += load.envelopes.handledTwice;
    total.waitedForSocket += load.frames.waitedForSocket;
    total.redelivered += load.frames.redelivered;
  }
  return total;
}

/** Lowest and highest of a figure over runs. */
export function range(runs: readonly RepeatRun[], figure: (run: RepeatRun) => number): { min: number; max: number } {
  const values = runs.map(figure);
  return { min: Math.min(...values), max: Math.max(...values) };
}
