// The shape of bench-results/<timestamp>.json (and latest.json). Bump RESULT_VERSION when a field
// changes meaning.
import type { LoadResult } from './load-types';
import type { ProcessUsage } from './sampler';
import type { EventLoopLag, LogSummary } from './systems';
import type { StartedProcess } from './processes';
import type { QueuePeak } from './queue-depths';
import type { BucketSummary, ConnectorAckSummary } from './connector-acks';

export const RESULT_VERSION = 1;

export type SystemName = 'socketworks' | 'bolt';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  redis: string;
  os: string;
  /** 1-minute load average when the run started: high values mean a shared, noisy machine. */
  loadAverageAtStart: number;
}

/** The code a run measured: the checkout's commit when the run started. */
export interface CodeRevision {
  commit: string;
  /** Tracked or untracked files (outside bench-results/) differed from the commit. */
  changed: boolean;
}

export interface Measured {
  /** Processes of this system plus the simulator and Redis, averaged over the load window. */
  usage: ProcessUsage[];
  /** Whole machine, 100 per core (200 = both cores of a 2-core machine busy). */
  machineBusyPct: number;
  /** Event-loop delay of each Node process during the load (sim included). */
  eventLoopMs: Record<string, EventLoopLag>;
  /** Warn/error lines each Socketworks service logged up to the end of the load. */
  serviceLogs?: Record<string, LogSummary>;
  /** Socketworks: per queue, the most jobs waiting and running at one sample (queues that had any). */
  queuePeaks?: Record<string, QueuePeak>;
  /**
   * Socketworks: the ack latency the connectors measured themselves (their histogram, frame
   * handled → ack written) during the load, per kind of ack; bucket bounds, not exact quantiles.
   */
  connectorAcks?: ConnectorAckSummary[];
  /** Socketworks: the enqueue round trip inside those acks (job sent → Redis confirmed it), all queues. */
  connectorEnqueue?: BucketSummary;
}

export interface SystemRun extends Measured {
  system: SystemName | 'connector';
  /** Sockets the system held when the load began. */
  sockets: number;
  load: LoadResult;
}

export interface Step extends Measured {
  rate: number;
  pass: boolean;
  /** Why the step failed. */
  why?: string;
  load: Omit<LoadResult, 'timeline'>;
}

export interface SaturationRun {
  system: SystemName | 'connector';
  sockets: number;
  steps: Step[];
  /** Highest offered rate whose ack p99 stayed under the limit (null: not even the first step). */
  saturationRate: number | null;
  /** Acked envelopes/s at that step. */
  sustainedPerSecond: number;
  /** Highest acked envelopes/s seen in any step. */
  peakAckedPerSecond: number;
}

/** One of a scenario's repeated runs, without its timeline (the JSON stays small). */
export type RepeatRun = Omit<SystemRun, 'load'> & { load: Omit<LoadResult, 'timeline'> };

export interface Scenario {
  id: string;
  title: string;
  /** What was offered, in words (rate, count, disruptions, handler cost). */
  offered: string;
  /** Per system, the run the tables and charts show: with `--repeat`, the one with the median ack p99. */
  runs: Partial<Record<SystemName, SystemRun>>;
  /**
   * Per system, every run of this scenario in the order they ran (`--repeat N`: N of them; the
   * one in `runs` among them). Absent in results written before repeats existed: one run each.
   */
  repeats?: Partial<Record<SystemName, RepeatRun[]>>;
}

export interface CeilingRun {
  /** Probe processes adding at the same time (their adds summed). */
  processes: number;
  /** Concurrent producers in each process. */
  producers: number;
  added: number;
  durationMs: number;
  jobsPerSecond: number;
  usage: ProcessUsage[];
  /** Whole machine, 100 per core, over the run. */
  machineBusyPct: number;
}

export interface ScalingPoint extends Measured {
  workers: number;
  envelopes: number;
  answered: number;
  /** Answers per second from the first answer to the last, queue resumed with all workers ready. */
  throughputPerSecond: number;
  drainMs: number;
}

export interface Target {
  id: string;
  text: string;
  measured: string;
  pass: boolean | null;
  /** Why it was missed (or why it could not be judged), from what was measured. */
  why?: string;
}

export interface BenchResult {
  version: typeof RESULT_VERSION;
  startedAt: string;
  finishedAt: string;
  wallMs: number;
  command: string;
  quick: boolean;
  /**
   * Times each comparison scenario ran per system (`--repeat`). Saturation, the enqueue ceiling,
   * the connector alone and worker scaling run once.
   */
  runCount: number;
  machine: Machine;
  /** null: not a git checkout (or git missing); absent in results written before it was recorded. */
  code?: CodeRevision | null;
  config: {
    connectors: number;
    slackConnections: number;
    workers: number;
    /** WORKER_NICE of the workers (absent in results written before it was recorded: 0). */
    workerNice?: number;
    /** WORKER_QUEUES given with --worker-queues (absent: the worker's default, and the sizing rule for slow handlers). */
    workerQueues?: string;
    redis: 'private' | 'external';
    saturationP99LimitMs: number;
    bucketMs: number;
    sampleIntervalMs: number;
    simRedeliveryTimeoutMs: number;
  };
  ceiling: { best: CeilingRun | null; runs: CeilingRun[] };
  connectorOnly: {
    steady: SystemRun[];
    refresh: SystemRun | null;
    saturation: SaturationRun | null;
    /** sustainedPerSecond / ceiling.best.jobsPerSecond. */
    ratioToCeiling: number | null;
  };
  scenarios: Scenario[];
  saturation: Partial<Record<SystemName, SaturationRun>>;
  scaling: { handlerCpuMs: number; points: ScalingPoint[]; limit: string | null };
  targets: Target[];
  /** Average whole-machine busy % not explained by the benchmark's own processes, during loads. */
  otherLoadPct: number | null;
  processes: StartedProcess[];
  /** Scenarios that could not run, with the error. */
  failures: Array<{ scenario: string; system: string; error: string }>;
}
