// The benchmark run: Redis (a private redis-server unless told otherwise), the enqueue ceiling,
// one connector alone, every scenario against Socketworks and against the Bolt reference, and the
// worker-scaling series. Each system run gets a fresh simulator process and a fresh queue prefix,
// is sampled every 250 ms, and is stopped (with everything it started) before the next begins.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createQueues } from '@socketworks/runtime';
import { deleteKeys, REPO_ROOT, startPrivateRedis, type PrivateRedis } from '@socketworks/testing';
import type { Mix } from './envelopes';
import { ackSummaries, enqueueSummary, type AckHistogram } from './connector-acks';
import { forkChild, type ForkedChild } from './ipc';
import { workerQueueSpecs } from './worker-queues';
import { BUCKET_MS, type LoadResult, type LoadSpec } from './load-types';
import { codeRevision, machineInfo } from './machine';
import { countFor, type Plan } from './plan';
import { ProcessRegistry } from './processes';
import { QueueDepthSampler, type QueuePeak } from './queue-depths';
import { medianRun, withoutTimeline } from './repeats';
import {
  RESULT_VERSION,
  type BenchResult,
  type CeilingRun,
  type Measured,
  type SaturationRun,
  type ScalingPoint,
  type Scenario,
  type Step,
  type SystemName,
  type SystemRun,
} from './result-types';
import { ProcessSampler, SAMPLE_INTERVAL_MS } from './sampler';
import { round1 } from './stats';
import {
  ENTRIES,
  startBolt,
  startConnectors,
  startSimHost,
  startSocketworks,
  startWorkers,
  stopSimHost,
  waitForSockets,
  type Context,
  type RunningSystem,
  type SimHost,
  type SocketworksOptions,
} from './systems';
import { evaluateTargets, scalingLimit } from './targets';
import type { CeilingArgs, CeilingResult } from './enqueue-ceiling';

export interface BenchOptions {
  plan: Plan;
  /** The command line, as printed in the report. */
  command: string;
  /** Use this Redis instead of a private redis-server (its other clients then add noise). */
  redisUrl?: string;
  /** Socketworks deployment for the comparison. @defaultValue 2 connectors sharing 2 sockets (leased slots), 2 workers */
  connectors?: number;
  /** SLACK_CONNECTIONS: the slots (sockets) the connector replicas share through their leases. */
  slackConnections?: number;
  workers?: number;
  /**
   * WORKER_NICE of the Socketworks workers (on this one machine they share the cores with the
   * connectors; README "Sharing a host"). @defaultValue 0, the worker's own default
   */
  workerNice?: number;
  /**
   * WORKER_QUEUES of the Socketworks workers in the comparison scenarios and saturation, the
   * slow-handler one included (where it replaces the sizing rule's value): one value for all, or
   * one per worker separated by ";" (worker-queues.ts). Worker scaling keeps the worker's default.
   * @defaultValue the worker's own default, and {@link slowHandlerQueues} for slow handlers
   */
  workerQueues?: string;
  /**
   * Times each comparison scenario runs per system, the systems taking turns. Saturation, the
   * enqueue ceiling, the connector alone and worker scaling run once. @defaultValue 1
   */
  repeat?: number;
  /** @defaultValue both */
  systems?: SystemName[];
  log?: (line: string) => void;
}

/** Worker processes in the comparison unless --workers says otherwise. */
export const DEFAULT_WORKERS = 2;

/** Slack's own redelivery timeout; the simulator's default. */
const SIM_REDELIVERY_TIMEOUT_MS = 3000;
/** The connector's default SLACK_CONNECTIONS: what "one connector" holds. */
const CONNECTOR_ONLY_SOCKETS = 2;
/**
 * Without workers, only events measure the connector's own enqueue → ack path: a slash command's
 * ack waits on the sync lane for a worker's ack() (SYNC_ACK_BUDGET_MS), which no one gives here.
 */
const CONNECTOR_ONLY_MIX: Mix = 'events';

const MIX_TEXT: Record<Mix, string> = {
  mixed: 'mixed load (of every 20: 18 app mentions, one /echo, one button click)',
  events: 'app mentions only',
};

/** Warm-up envelopes are numbered from here, apart from measured ones (job ids stay unique). */
const WARMUP_SEQ_BASE = 90_000_000;

type Kind = SystemName | 'connector';

interface Setup {
  workers?: number;
  workerEnv?: Record<string, string>;
  benchAppModule?: boolean;
  handlerEnv?: Record<string, string>;
}

export class Bench {
  private readonly registry = new ProcessRegistry();
  private readonly sampler = new ProcessSampler();
  private readonly ctx: Context = { registry: this.registry, sampler: this.sampler };
  private readonly log: (line: string) => void;
  private readonly connectors: number;
  private readonly slackConnections: number;
  private readonly workers: number;
  private readonly workerNice: number;
  private readonly workerQueues: string | undefined;
  private readonly repeat: number;
  private privateRedis: PrivateRedis | undefined;
  private redisUrl = '';
  private admin: Redis | undefined;
  private redisPid = 0;
  private aborted = false;
  private readonly failures: BenchResult['failures'] = [];

  constructor(private readonly options: BenchOptions) {
    this.log = options.log ?? (() => undefined);
    this.connectors = options.connectors ?? 2;
    this.slackConnections = options.slackConnections ?? 2;
    this.workers = options.workers ?? DEFAULT_WORKERS;
    this.workerNice = options.workerNice ?? 0;
    this.workerQueues = options.workerQueues;
    this.repeat = options.repeat ?? 1;
  }

  /** Ctrl-C: kill everything now (the run's promise rejects or resolves soon after). */
  async abort(): Promise<void> {
    this.aborted = true;
    this.registry.killAllNow();
    await this.sampler.stop();
    this.admin?.disconnect();
    await this.privateRedis?.stop();
  }

  async run(): Promise<BenchResult> {
    const started = Date.now();
    const plan = this.options.plan;
    const systems = this.options.systems ?? ['socketworks', 'bolt'];
    try {
      await this.startRedis();
      this.sampler.start();
      const machine = await machineInfo(this.admin!);
      const code = codeRevision(REPO_ROOT);
      this.log(code ? `code: commit ${code.commit.slice(0, 12)}${code.changed ? ' with uncommitted changes' : ''}` : 'code: not a git checkout');
      this.log(`machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}, Redis ${machine.redis}; plan ${plan.name}`);

      const ceilingRuns = plan.ceiling ? await this.guard('enqueue-ceiling', 'redis', () => this.ceiling(plan.ceiling!), []) : [];
      const best = ceilingRuns.reduce<CeilingRun | null>((a, b) => (a === null || b.jobsPerSecond > a.jobsPerSecond ? b : a), null);

      const connectorOnly = await this.connectorOnly(plan);
      const ratio = best && connectorOnly.saturation ? round1((connectorOnly.saturation.sustainedPerSecond / best.jobsPerSecond) * 100) / 100 : null;

      const scenarios = await this.scenarios(plan, systems);
      const saturation: BenchResult['saturation'] = {};
      if (plan.saturationRates.length > 0) {
        for (const system of systems) {
          const run = await this.guard('saturation', system, () => this.saturation(system, plan.saturationRates, plan), null);
          if (run) saturation[system] = run;
        }
      }
      const scaling = plan.scaling && systems.includes('socketworks') ? await this.guard('worker-scaling', 'socketworks', () => this.scaling(plan), []) : [];

      const result: BenchResult = {
        version: RESULT_VERSION,
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date().toISOString(),
        wallMs: Date.now() - started,
        command: this.options.command,
        quick: plan.name === 'quick',
        runCount: this.repeat,
        machine,
        code,
        config: {
          connectors: this.connectors,
          slackConnections: this.slackConnections,
          workers: this.workers,
          workerNice: this.workerNice,
          ...(this.workerQueues ? { workerQueues: this.workerQueues } : {}),
          redis: this.privateRedis ? 'private' : 'external',
          saturationP99LimitMs: plan.saturationP99LimitMs,
          bucketMs: BUCKET_MS,
          sampleIntervalMs: SAMPLE_INTERVAL_MS,
          simRedeliveryTimeoutMs: SIM_REDELIVERY_TIMEOUT_MS,
        },
        ceiling: { best, runs: ceilingRuns },
        connectorOnly: { ...connectorOnly, ratioToCeiling: ratio },
        scenarios,
        saturation,
        scaling: { handlerCpuMs: plan.scaling?.cpuMs ?? 0, points: scaling, limit: scalingLimit(scaling, machine.nproc) },
        targets: [],
        otherLoadPct: null,
        processes: [],
        failures: this.failures,
      };
      result.targets = evaluateTargets(result);
      result.otherLoadPct = otherLoad(result);
      return result;
    } finally {
      await this.shutdown();
    }
  }

  /** Every process started by this run (the private redis-server included). */
  startedProcesses(): BenchResult['processes'] {
    return this.registry.started();
  }

  private async shutdown(): Promise<void> {
    await this.sampler.stop();
    await this.registry.stopAll(5000);
    this.admin?.disconnect();
    await this.privateRedis?.stop();
    // Everything is stopped: the exit sweep (which also kills by pid) is no longer needed.
    this.registry.dispose();
  }

  private async startRedis(): Promise<void> {
    if (this.options.redisUrl) {
      this.redisUrl = this.options.redisUrl;
    } else {
      this.privateRedis = await startPrivateRedis();
      this.redisUrl = this.privateRedis.url;
    }
    this.admin = new Redis(this.redisUrl, { maxRetriesPerRequest: 1 });
    this.admin.on('error', (err) => this.log(`redis (bench admin connection): ${err.message}`));
    const info = await this.admin.info('server');
    this.redisPid = Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
    // Ours to kill on any exit (startPrivateRedis keeps its child handle to itself).
    if (this.privateRedis && this.redisPid) this.registry.addPid('redis', this.redisPid);
    this.sampler.trackRedis('redis', this.redisPid, this.admin);
  }

  private async cleanRedis(prefix: string): Promise<void> {
    if (this.privateRedis) await this.admin!.flushall();
    else await deleteKeys(this.redisUrl, `{${prefix}}*`);
  }

  /** Runs `fn`; on failure records it and returns `fallback` so the rest of the run goes on. */
  private async guard<T>(scenario: string, system: string, fn: () => Promise<T>, fallback: T): Promise<T> {
    if (this.aborted) throw new Error('aborted');
    try {
      return await fn();
    } catch (err) {
      if (this.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      this.failures.push({ scenario, system, error: message.slice(0, 2000) });
      this.log(`  ${scenario} / ${system} FAILED: ${message.split('\n')[0]}`);
      await this.registry.stopAll(3000);
      return fallback;
    }
  }

  // --- one system run ---

  /** Starts the simulator and `kind`; `fn` gets Socketworks' queue prefix (undefined for Bolt, which has no queues). */
  private async withSystem<T>(kind: Kind, setup: Setup, fn: (sim: SimHost, sys: RunningSystem, queuePrefix: string | undefined) => Promise<T>): Promise<T> {
    const prefix = `bench-${kind}-${randomBytes(3).toString('hex')}`;
    const t0 = Date.now();
    const sim = await startSimHost(this.ctx);
    let sys: RunningSystem | undefined;
    try {
      if (kind === 'bolt') sys = await startBolt(this.ctx, sim, { handlerEnv: setup.handlerEnv });
      else sys = await startSocketworks(this.ctx, sim, this.socketworksOptions(kind, prefix, setup));
      this.log(`  (${kind} up with ${sys.sockets} socket(s) in ${Date.now() - t0} ms)`);
      return await fn(sim, sys, kind === 'bolt' ? undefined : prefix);
    } finally {
      const t1 = Date.now();
      await sys?.stop();
      this.log(`  (${kind} stopped in ${Date.now() - t1} ms)`);
      await stopSimHost(this.ctx, sim);
      await this.registry.stopAll(5000);
      await this.cleanRedis(prefix);
    }
  }

  private socketworksOptions(kind: Kind, prefix: string, setup: Setup): SocketworksOptions {
    return {
      redisUrl: this.redisUrl,
      queuePrefix: prefix,
      connectors: kind === 'connector' ? 1 : this.connectors,
      slackConnections: kind === 'connector' ? CONNECTOR_ONLY_SOCKETS : this.slackConnections,
      workers: kind === 'connector' ? 0 : (setup.workers ?? this.workers),
      workerEnv: { WORKER_NICE: String(this.workerNice), ...setup.workerEnv },
      ...(this.workerQueues ? { perWorkerEnv: workerQueueSpecs(this.workerQueues).map((q) => ({ WORKER_QUEUES: q })) } : {}),
      benchAppModule: setup.benchAppModule,
    };
  }

  /**
   * One load with its resource usage and event-loop lag, and — for Socketworks (`queuePrefix`) —
   * how deep its queues got.
   */
  private async measure(sim: SimHost, sys: RunningSystem, spec: LoadSpec, queuePrefix?: string): Promise<Measured & { load: LoadResult }> {
    await sys.lag(); // resets each process's histogram: what follows is this load's
    sys.markLogs();
    const acksBefore = await this.connectorAcks(sys);
    const depths = queuePrefix ? new QueueDepthSampler(this.admin!, queuePrefix, SAMPLE_INTERVAL_MS) : undefined;
    depths?.start();
    const timeoutMs = expectedMs(spec) + spec.settleTimeoutMs + 60000;
    let load: LoadResult;
    let queuePeaks: Record<string, QueuePeak> | undefined;
    try {
      load = await sim.call<LoadResult>('load', spec, timeoutMs);
    } finally {
      queuePeaks = await depths?.stop();
    }
    const eventLoopMs = { ...(await sys.lag()), sim: load.simEventLoopMs };
    const acksAfter = await this.connectorAcks(sys);
    const connectorAcks = acksBefore && acksAfter ? ackSummaries(acksBefore, acksAfter) : undefined;
    const connectorEnqueue = acksBefore && acksAfter ? enqueueSummary(acksBefore, acksAfter) : undefined;
    return {
      load,
      eventLoopMs,
      serviceLogs: sys.logs(),
      ...(queuePeaks ? { queuePeaks } : {}),
      ...(connectorAcks ? { connectorAcks } : {}),
      ...(connectorEnqueue ? { connectorEnqueue } : {}),
      ...this.usage(load.startedAt, load.endedAt),
    };
  }

  /** The connectors' ack histograms, or undefined for Bolt or when a connector could not be read (the figures are then left out). */
  private async connectorAcks(sys: RunningSystem): Promise<AckHistogram | undefined> {
    try {
      return await sys.connectorAcks?.();
    } catch (err) {
      this.log(`  (could not read the connectors' ack histograms: ${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
  }

  private usage(from: number, to: number): Pick<Measured, 'usage' | 'machineBusyPct'> {
    const usage = this.sampler.usage(from, to).filter((u) => u.rssPeakMb > 0);
    return { usage, machineBusyPct: this.sampler.machineBusyPct(from, to) };
  }

  /** Unmeasured traffic like `spec` (no disruptions) so both systems are measured warm. */
  private async warmup(sim: SimHost, spec: LoadSpec): Promise<void> {
    const seconds = this.options.plan.warmupSeconds;
    if (seconds <= 0) return;
    const rate = spec.ratePerSecond === 'burst' ? 1000 : Math.min(spec.ratePerSecond, 2000);
    // Acks only, briefly: a backlog of answers left from the warm-up would be measured as load.
    const warm: LoadSpec = { ...spec, ratePerSecond: rate, count: countFor(rate, seconds), seqBase: WARMUP_SEQ_BASE, refreshEveryMs: undefined, dropEveryMs: undefined, expectAnswers: false, settleTimeoutMs: 3000 };
    await sim.call<LoadResult>('load', warm, expectedMs(warm) + 60000);
  }

  private async single(kind: Kind, setup: Setup, spec: LoadSpec): Promise<SystemRun> {
    return this.withSystem(kind, setup, async (sim, sys, queuePrefix) => {
      await this.warmup(sim, spec);
      const m = await this.measure(sim, sys, spec, queuePrefix);
      return { system: kind, sockets: sys.sockets, ...m };
    });
  }

  // --- sections ---

  private async ceiling(plan: NonNullable<Plan['ceiling']>): Promise<CeilingRun[]> {
    this.log(`enqueue ceiling: BullMQ Queue.add in a tight loop, ${plan.processes.join(' and ')} process(es), no sockets`);
    const most = Math.max(...plan.processes);
    const children: Array<ForkedChild<{ pid: number }>> = [];
    const runs: CeilingRun[] = [];
    try {
      for (let i = 1; i <= most; i += 1) {
        const name = `ceiling-${i}`;
        const child = await forkChild<{ pid: number }>({ name, entry: ENTRIES.ceiling, env: {}, onSpawn: (c) => this.registry.add('ceiling', c) });
        this.sampler.trackPid(name, child.pid);
        children.push(child);
      }
      for (const processes of plan.processes) {
        for (const producers of plan.producers) {
          const prefix = `bench-ceiling-${randomBytes(3).toString('hex')}`;
          const from = Date.now();
          const args: CeilingArgs = { redisUrl: this.redisUrl, queuePrefix: prefix, producers, durationMs: plan.seconds * 1000 };
          // Every probe adds to the same queues at the same time; the ceiling is their sum.
          const results = await Promise.all(children.slice(0, processes).map((c) => c.call<CeilingResult>('measure', args, plan.seconds * 1000 + 30000)));
          const added = results.reduce((a, r) => a + r.added, 0);
          const durationMs = Math.max(...results.map((r) => r.durationMs));
          const measured = this.usage(from, Date.now());
          const usage = measured.usage.filter((u) => (u.name.startsWith('ceiling-') && Number(u.name.slice(8)) <= processes) || u.name === 'redis');
          runs.push({ processes, producers, added, durationMs, jobsPerSecond: results.reduce((a, r) => a + r.jobsPerSecond, 0), usage, machineBusyPct: measured.machineBusyPct });
          this.log(`  ${processes} process(es) × ${producers} producers: ${runs.at(-1)!.jobsPerSecond} enqueues/s`);
          await this.cleanRedis(prefix);
        }
      }
    } finally {
      for (const c of children) await this.registry.stop(c.child, 3000);
    }
    return runs;
  }

  private async connectorOnly(plan: Plan): Promise<Omit<BenchResult['connectorOnly'], 'ratioToCeiling'>> {
    const steady: SystemRun[] = [];
    let seqBase = 0;
    for (const s of plan.connector.steady) {
      this.log(`connector alone: ${s.rate}/s for ${s.seconds} s`);
      const spec = this.spec(plan, { rate: s.rate, count: countFor(s.rate, s.seconds), seqBase, expectAnswers: false, mix: CONNECTOR_ONLY_MIX });
      seqBase += spec.count;
      const run = await this.guard(`connector-steady-${s.rate}`, 'connector', () => this.single('connector', {}, spec), null);
      if (run) {
        steady.push(run);
        this.log(`  ${brief(run.load)}`);
      }
    }
    let refresh: SystemRun | null = null;
    if (plan.connector.refresh) {
      const r = plan.connector.refresh;
      this.log(`connector alone: refresh_requested every ${r.everyMs / 1000} s at ${r.rate}/s`);
      const spec = this.spec(plan, { rate: r.rate, count: countFor(r.rate, r.seconds), seqBase, expectAnswers: false, refreshEveryMs: r.everyMs, mix: CONNECTOR_ONLY_MIX });
      refresh = await this.guard('connector-refresh', 'connector', () => this.single('connector', {}, spec), null);
      if (refresh) this.log(`  ${brief(refresh.load)}`);
    }
    const saturation = plan.connector.saturation ? await this.guard('connector-saturation', 'connector', () => this.saturation('connector', plan.connectorSaturationRates, plan), null) : null;
    return { steady, refresh, saturation };
  }

  private spec(
    plan: Plan,
    s: { rate: number | 'burst'; count: number; seqBase?: number; expectAnswers?: boolean; refreshEveryMs?: number; dropEveryMs?: number; settleMs?: number; mix?: Mix },
  ): LoadSpec {
    return {
      count: s.count,
      ratePerSecond: s.rate,
      mix: s.mix ?? plan.mix,
      seqBase: s.seqBase ?? 0,
      refreshEveryMs: s.refreshEveryMs,
      dropEveryMs: s.dropEveryMs,
      expectAnswers: s.expectAnswers ?? true,
      settleTimeoutMs: s.settleMs ?? plan.settleMs,
    };
  }

  private async scenarios(plan: Plan, systems: SystemName[]): Promise<Scenario[]> {
    const defs: Array<{ id: string; title: string; offered: string; spec: LoadSpec; setup: Record<SystemName, Setup> }> = [];
    for (const s of plan.steady) {
      defs.push({
        id: `steady-${s.rate}`,
        title: `Steady ${s.rate.toLocaleString('en-US')}/s`,
        offered: `${countFor(s.rate, s.seconds)} envelopes at ${s.rate}/s (${s.seconds} s), ${MIX_TEXT[plan.mix]}`,
        spec: this.spec(plan, { rate: s.rate, count: countFor(s.rate, s.seconds) }),
        setup: { socketworks: {}, bolt: {} },
      });
    }
    if (plan.slow) {
      const s = plan.slow;
      const queues = this.workerQueues ?? slowHandlerQueues(s.rate, s.delayMs, this.workers);
      defs.push({
        id: 'slow-handlers',
        title: `Handlers taking ${s.delayMs} ms, ${s.rate.toLocaleString('en-US')}/s`,
        offered: `${countFor(s.rate, s.seconds)} envelopes at ${s.rate}/s; every handler waits ${s.delayMs} ms before answering (worker WORKER_QUEUES=${queues})`,
        spec: this.spec(plan, { rate: s.rate, count: countFor(s.rate, s.seconds) }),
        setup: {
          // --worker-queues, when given, reaches each worker through perWorkerEnv instead of the rule.
          socketworks: { benchAppModule: true, workerEnv: { BENCH_HANDLER_DELAY_MS: String(s.delayMs), ...(this.workerQueues ? {} : { WORKER_QUEUES: queues }) } },
          bolt: { handlerEnv: { BENCH_HANDLER_DELAY_MS: String(s.delayMs) } },
        },
      });
    }
    if (plan.refresh) {
      const r = plan.refresh;
      defs.push({
        id: 'refresh',
        title: `refresh_requested every ${r.everyMs / 1000} s`,
        offered: `${countFor(r.rate, r.seconds)} envelopes at ${r.rate}/s; the oldest socket gets disconnect refresh_requested every ${r.everyMs / 1000} s`,
        spec: this.spec(plan, { rate: r.rate, count: countFor(r.rate, r.seconds), refreshEveryMs: r.everyMs }),
        setup: { socketworks: {}, bolt: {} },
      });
    }
    if (plan.drop) {
      const d = plan.drop;
      defs.push({
        id: 'drop',
        title: `Abrupt socket drop every ${d.everyMs / 1000} s`,
        offered: `${countFor(d.rate, d.seconds)} envelopes at ${d.rate}/s; the oldest socket is terminated (no close frame) every ${d.everyMs / 1000} s`,
        spec: this.spec(plan, { rate: d.rate, count: countFor(d.rate, d.seconds), dropEveryMs: d.everyMs }),
        setup: { socketworks: {}, bolt: {} },
      });
    }
    if (plan.burst) {
      defs.push({
        id: 'burst',
        title: `Burst of ${plan.burst.count.toLocaleString('en-US')} at once`,
        offered: `${plan.burst.count} envelopes handed to the simulator at once (batches of 500)`,
        spec: this.spec(plan, { rate: 'burst', count: plan.burst.count, settleMs: plan.settleMs * 2 }),
        setup: { socketworks: {}, bolt: {} },
      });
    }
    const out: Scenario[] = [];
    for (const def of defs) {
      const done: Partial<Record<SystemName, SystemRun[]>> = {};
      for (let round = 1; round <= this.repeat; round += 1) {
        // Taking turns: a machine that slows down during the run weighs on both systems alike.
        const order = round % 2 === 1 ? systems : [...systems].reverse();
        for (const system of order) {
          this.log(`${def.title} — ${system}${this.repeat > 1 ? ` (run ${round} of ${this.repeat})` : ''}`);
          const run = await this.guard(def.id, system, () => this.single(system, def.setup[system], def.spec), null);
          if (run) {
            (done[system] ??= []).push(run);
            this.log(`  ${brief(run.load)}`);
          }
        }
      }
      const scenario: Scenario = { id: def.id, title: def.title, offered: def.offered, runs: {} };
      for (const [system, runs] of Object.entries(done) as Array<[SystemName, SystemRun[]]>) {
        scenario.runs[system] = medianRun(runs);
        if (this.repeat > 1) (scenario.repeats ??= {})[system] = runs.map(withoutTimeline);
      }
      out.push(scenario);
    }
    return out;
  }

  private async saturation(kind: Kind, rates: number[], plan: Plan): Promise<SaturationRun> {
    this.log(`saturation — ${kind}: steps ${rates.join(', ')}/s, ${plan.stepSeconds} s each, stop at ack p99 ≥ ${plan.saturationP99LimitMs} ms`);
    return this.withSystem(kind, {}, async (sim, sys, queuePrefix) => {
      const steps: Step[] = [];
      let seqBase = 0;
      for (const rate of rates) {
        const spec = this.spec(plan, {
          rate,
          count: countFor(rate, plan.stepSeconds),
          seqBase,
          expectAnswers: kind !== 'connector',
          settleMs: plan.stepSettleMs,
          mix: kind === 'connector' ? CONNECTOR_ONLY_MIX : plan.mix,
        });
        seqBase += spec.count;
        if (steps.length === 0) await this.warmup(sim, spec);
        const m = await this.measure(sim, sys, spec, queuePrefix);
        const { timeline: _timeline, ...load } = m.load;
        const why = stepFailure(m.load, plan.saturationP99LimitMs);
        steps.push({ rate, pass: why === undefined, why, load, usage: m.usage, machineBusyPct: m.machineBusyPct, eventLoopMs: m.eventLoopMs, serviceLogs: m.serviceLogs, queuePeaks: m.queuePeaks });
        this.log(`  ${rate}/s: ${brief(m.load)}${why ? ` → stop (${why})` : ''}`);
        if (why) break;
      }
      const passed = steps.filter((s) => s.pass);
      const top = passed[passed.length - 1];
      return {
        system: kind,
        sockets: sys.sockets,
        steps,
        saturationRate: top ? top.rate : null,
        sustainedPerSecond: top ? top.load.throughput.ackedPerSecond : 0,
        peakAckedPerSecond: Math.max(0, ...steps.map((s) => s.load.throughput.ackedPerSecond)),
      };
    });
  }

  /**
   * Workers 1 → 2 → 4 with a fixed CPU cost per handler: the envelopes are enqueued through the
   * connector while the queues are paused, the workers start and report ready, then the queues are
   * resumed and the answers timed. Throughput = answers per second, first answer to last.
   */
  private async scaling(plan: Plan): Promise<ScalingPoint[]> {
    const s = plan.scaling!;
    const points: ScalingPoint[] = [];
    for (const workers of s.workers) {
      this.log(`worker scaling: ${workers} worker process(es), ${s.envelopes} envelopes, handler ${s.cpuMs} ms CPU`);
      const point = await this.guard(`worker-scaling-${workers}`, 'socketworks', () => this.scalingPoint(plan, workers), null);
      if (point) {
        points.push(point);
        this.log(`  ${point.throughputPerSecond} answers/s (${point.answered}/${point.envelopes} in ${point.drainMs} ms)`);
      }
    }
    return points;
  }

  private async scalingPoint(plan: Plan, workers: number): Promise<ScalingPoint> {
    const s = plan.scaling!;
    const prefix = `bench-scaling-${randomBytes(3).toString('hex')}`;
    const sim = await startSimHost(this.ctx);
    const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', (err) => this.log(`redis (bench queue control): ${err.message}`));
    const queues = createQueues(connection, { prefix });
    for (const q of Object.values(queues)) q.on('error', () => undefined);
    try {
      await Promise.all(Object.values(queues).map((q) => q.pause()));
      const options: SocketworksOptions = {
        ...this.socketworksOptions('socketworks', prefix, {}),
        workers,
        benchAppModule: true,
        // The worker's own WORKER_QUEUES and priority: --worker-queues / --worker-nice are for the comparison.
        workerEnv: { BENCH_HANDLER_CPU_MS: String(s.cpuMs) },
        perWorkerEnv: undefined,
      };
      await Promise.all([startConnectors(this.ctx, sim, options), startWorkers(this.ctx, sim, options)]);
      await waitForSockets(sim, options.slackConnections);
      const spec = this.spec(plan, { rate: 'burst', count: s.envelopes, settleMs: 120000 });
      const loading = sim.call<LoadResult>('load', spec, 200000);
      // Resume once every envelope is acked (in Redis): from here on only the workers work.
      let resumed = false;
      const resume = (async () => {
        for (let done = false; !done; ) {
          const stats = await sim.call<{ acked: number }>('stats');
          if (stats.acked >= s.envelopes) break;
          done = await Promise.race([loading.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
        }
        await Promise.all(Object.values(queues).map((q) => q.resume()));
        resumed = true;
        return Date.now();
      })();
      const resumedAt = await resume;
      const load = await loading;
      if (!resumed) throw new Error('queues were never resumed');
      const w = load.answerWindow;
      const answered = load.envelopes.answered;
      const drainMs = w ? Math.round(w.last - w.first) : 0;
      const m = this.usage(w ? w.first : resumedAt, w ? w.last : Date.now());
      return {
        workers,
        envelopes: s.envelopes,
        answered,
        throughputPerSecond: drainMs > 0 ? Math.round(((answered - 1) * 1000) / drainMs) : 0,
        drainMs,
        usage: m.usage,
        machineBusyPct: m.machineBusyPct,
        eventLoopMs: { sim: load.simEventLoopMs },
      };
    } finally {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      connection.disconnect();
      await stopSimHost(this.ctx, sim);
      await this.registry.stopAll(8000);
      await this.cleanRedis(prefix);
    }
  }
}

/**
 * WORKER_QUEUES for handlers that wait: concurrency per worker = the queue's share of the rate ×
 * handler seconds ÷ workers, +50% headroom (the sizing guide's rule), never below the default 16.
 * App mentions (90% of the mixed load) go to `events`; the rest to `commands`, `interactive` or
 * `sync` depending on the connector's sync lane, so each of those gets the other 10%.
 */
export function slowHandlerQueues(rate: number, delayMs: number, workers: number): string {
  const per = (share: number) => Math.max(16, Math.ceil((rate * share * (delayMs / 1000) * 1.5) / workers));
  return `events:${per(0.9)},interactive:${per(0.1)},commands:${per(0.1)},sync:${per(0.1)}`;
}

function expectedMs(spec: LoadSpec): number {
  return spec.ratePerSecond === 'burst' ? 0 : (spec.count * 1000) / spec.ratePerSecond;
}

/** Why a saturation step fails, or undefined when it passes. */
export function stepFailure(load: LoadResult, limitMs: number): string | undefined {
  if (load.ackLatencyMs.p99 >= limitMs) return `ack p99 ${load.ackLatencyMs.p99} ms ≥ ${limitMs} ms`;
  if (load.envelopes.acked < load.envelopes.injected) return `${load.envelopes.injected - load.envelopes.acked} envelopes not acked within the settle time`;
  return undefined;
}

function brief(load: LoadResult): string {
  const e = load.envelopes;
  return (
    `acked ${e.acked}/${e.injected}, answered ${e.answered}, lost ${e.lost}, undelivered ${e.undelivered}, twice ${e.handledTwice}, redelivered ${load.frames.redelivered}, waited ${load.frames.waitedForSocket}; ` +
    `ack p50/p99/max ${load.ackLatencyMs.p50}/${load.ackLatencyMs.p99}/${load.ackLatencyMs.max} ms, answer p99 ${load.answerLatencyMs.p99} ms, ` +
    `${load.throughput.ackedPerSecond} acked/s (injected at ${load.injectRate}/s)`
  );
}

/** Average machine busy % not used by the benchmark's own processes, over every system run. */
function otherLoad(result: BenchResult): number | null {
  const runs: Measured[] = [
    ...result.connectorOnly.steady,
    ...(result.connectorOnly.refresh ? [result.connectorOnly.refresh] : []),
    ...result.scenarios.flatMap((s) => Object.values(s.runs)),
  ];
  if (runs.length === 0) return null;
  const other = runs.map((r) => Math.max(0, r.machineBusyPct - r.usage.reduce((a, u) => a + u.cpuAvgPct, 0)));
  return round1(other.reduce((a, b) => a + b, 0) / other.length);
}
