// A small, plausible BenchResult built from a few numbers: the unit tests of the report, the
// charts and the targets use it instead of running anything.
import type { LoadResult, LoadSpec, TimelineBucket } from './load-types';
import { RESULT_VERSION, type BenchResult, type SystemRun } from './result-types';
import type { ProcessUsage } from './sampler';

export interface SampleLoad {
  rate: number;
  count: number;
  ackP99: number;
  waited?: number;
  redelivered?: number;
  lost?: number;
  twice?: number;
  unanswered?: number;
  refreshEveryMs?: number;
  dropEveryMs?: number;
}

export function sampleLoad(o: SampleLoad): LoadResult {
  const spec: LoadSpec = {
    count: o.count,
    ratePerSecond: o.rate,
    mix: 'mixed',
    seqBase: 0,
    expectAnswers: true,
    settleTimeoutMs: 1000,
    refreshEveryMs: o.refreshEveryMs,
    dropEveryMs: o.dropEveryMs,
  };
  const lost = o.lost ?? 0;
  const acked = o.count - lost;
  const unanswered = o.unanswered ?? 0;
  const timeline: TimelineBucket[] = [0, 250, 500, 750].map((t, k) => ({ t, n: 10, p50: 0.5, p99: o.ackP99 * (k === 2 ? 3 : 1), max: o.ackP99 * 4, injectToAckP99: o.ackP99 * 2, answers: 10 }));
  const latency = { count: acked, p50: o.ackP99 / 4, p99: o.ackP99, max: o.ackP99 * 4 };
  return {
    spec,
    startedAt: 1_700_000_000_000,
    endedAt: 1_700_000_001_000,
    injected: o.count,
    injectMs: (o.count / o.rate) * 1000,
    injectRate: o.rate,
    frames: { sent: o.count + (o.redelivered ?? 0), acked, unacked: o.count + (o.redelivered ?? 0) - acked, redelivered: o.redelivered ?? 0, waitedForSocket: o.waited ?? 0, gaveUp: 0, duplicateAcks: 0, unknownAcks: 0 },
    envelopes: { injected: o.count, acked, answered: acked - unanswered, lost, undelivered: 0, unanswered, handledTwice: o.twice ?? 0, redelivered: o.redelivered ?? 0 },
    ackLatencyMs: latency,
    injectToAckMs: latency,
    answerLatencyMs: { count: acked, p50: 3, p99: 9, max: 20 },
    ackLatencyByTypeMs: { events_api: latency },
    answerWindow: { first: 1_700_000_000_010, last: 1_700_000_000_990 },
    throughput: { ackedPerSecond: o.rate, answeredPerSecond: o.rate },
    settled: unanswered === 0,
    settleMs: 10,
    timeline,
    markers: o.refreshEveryMs ? [{ t: o.refreshEveryMs, kind: 'refresh' }] : o.dropEveryMs ? [{ t: o.dropEveryMs, kind: 'drop' }] : [],
    socketsOpened: 0,
    openSocketsAtEnd: 2,
    simEventLoopMs: { p99: 1, max: 2 },
  };
}

function usage(name: string, cpu: number): ProcessUsage {
  return { name, pid: 100, cpuAvgPct: cpu, cpuPeakPct: cpu * 1.5, rssPeakMb: 80 };
}

export function sampleRun(system: SystemRun['system'], load: LoadResult, busyPct = 120): SystemRun {
  const procs = system === 'bolt' ? [usage('bolt', 60)] : [usage('connector-1', 20), usage('connector-2', 20), usage('worker-1', 40), usage('worker-2', 40)];
  return { system, sockets: system === 'bolt' ? 1 : 2, load, usage: [...procs, usage('sim', 15), usage('redis', 10)], machineBusyPct: busyPct, eventLoopMs: { sim: { p99: 1, max: 2 } } };
}

/** Every section filled; Socketworks meets every target unless `overrides` say otherwise. */
export function sampleResult(overrides: { steadyAckP99?: number; refreshWaited?: number; dropLost?: number } = {}): BenchResult {
  const sw = (o: SampleLoad) => sampleRun('socketworks', sampleLoad(o));
  const bolt = (o: SampleLoad) => sampleRun('bolt', sampleLoad(o));
  const result: BenchResult = {
    version: RESULT_VERSION,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:40.000Z',
    wallMs: 100000,
    command: 'npm run bench -- --quick',
    quick: true,
    runCount: 1,
    machine: { nproc: 2, cpuModel: 'Test CPU', memoryGb: 24, node: 'v20.0.0', redis: '7.0.15', os: 'Linux test', loadAverageAtStart: 0.1 },
    config: { connectors: 2, slackConnections: 2, workers: 2, redis: 'private', saturationP99LimitMs: 100, bucketMs: 250, sampleIntervalMs: 250, simRedeliveryTimeoutMs: 3000 },
    ceiling: { best: { processes: 1, producers: 64, added: 20000, durationMs: 1000, jobsPerSecond: 20000, machineBusyPct: 165, usage: [usage('ceiling-1', 100), usage('redis', 60)] }, runs: [] },
    connectorOnly: { steady: [sampleRun('connector', sampleLoad({ rate: 2000, count: 4000, ackP99: 2 }))], refresh: null, saturation: null, ratioToCeiling: null },
    scenarios: [
      { id: 'steady-2000', title: 'Steady 2,000/s', offered: '4000 envelopes at 2000/s', runs: { socketworks: sw({ rate: 2000, count: 4000, ackP99: overrides.steadyAckP99 ?? 3 }), bolt: bolt({ rate: 2000, count: 4000, ackP99: 40 }) } },
      { id: 'slow-handlers', title: 'Handlers taking 200 ms', offered: '4000 envelopes at 2000/s', runs: { socketworks: sw({ rate: 2000, count: 4000, ackP99: 4 }), bolt: bolt({ rate: 2000, count: 4000, ackP99: 300 }) } },
      {
        id: 'refresh',
        title: 'refresh_requested every 3 s',
        offered: '4000 envelopes at 1000/s',
        runs: { socketworks: sw({ rate: 1000, count: 4000, ackP99: 2, waited: overrides.refreshWaited ?? 0, refreshEveryMs: 3000 }), bolt: bolt({ rate: 1000, count: 4000, ackP99: 2, waited: 900, refreshEveryMs: 3000 }) },
      },
      {
        id: 'drop',
        title: 'Abrupt socket drop every 5 s',
        offered: '5500 envelopes at 1000/s',
        runs: { socketworks: sw({ rate: 1000, count: 5500, ackP99: 2, lost: overrides.dropLost ?? 0, dropEveryMs: 5000 }), bolt: bolt({ rate: 1000, count: 5500, ackP99: 2, twice: 12, dropEveryMs: 5000 }) },
      },
    ],
    saturation: {},
    scaling: { handlerCpuMs: 2, points: [], limit: null },
    targets: [],
    otherLoadPct: 3,
    processes: [],
    failures: [],
  };
  const step = (rate: number, p99: number, pass: boolean) => {
    const { timeline: _t, ...load } = sampleLoad({ rate, count: rate, ackP99: p99 });
    return { rate, pass, why: pass ? undefined : `ack p99 ${p99} ms ≥ 100 ms`, load, usage: [usage('connector-1', 90), usage('redis', 60)], machineBusyPct: 190, eventLoopMs: {} };
  };
  result.connectorOnly.saturation = { system: 'connector', sockets: 2, steps: [step(4000, 5, true), step(8000, 20, true), step(16000, 400, false)], saturationRate: 8000, sustainedPerSecond: 17000, peakAckedPerSecond: 17000 };
  result.connectorOnly.ratioToCeiling = 0.85;
  result.saturation = { socketworks: { system: 'socketworks', sockets: 2, steps: [step(1000, 3, true), step(2000, 150, false)], saturationRate: 1000, sustainedPerSecond: 1000, peakAckedPerSecond: 1900 } };
  result.scaling.points = [1, 2, 4].map((workers) => ({
    workers,
    envelopes: 1000,
    answered: 1000,
    throughputPerSecond: workers === 4 ? 700 : 400 * workers,
    drainMs: 1000,
    usage: [usage('worker-1', 95), usage('redis', 30)],
    machineBusyPct: workers === 4 ? 198 : 100 * workers,
    eventLoopMs: {},
  }));
  result.scaling.limit = 'cores';
  return result;
}
