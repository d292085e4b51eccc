// The targets the report is judged by, evaluated from the measured figures, and — where a target
// is missed — the reason read from what was measured (CPU of each process, Redis, the machine,
// event-loop lag). Pure functions over a BenchResult.
import { connectorAcksText } from './connector-acks';
import { queuePeaksText } from './queue-depths';
import { faultTotals, range, repeatsOf } from './repeats';
import type { BenchResult, CeilingRun, Measured, RepeatRun, SaturationRun, ScalingPoint, SystemRun, Target } from './result-types';
import type { ProcessUsage } from './sampler';

/** Ack p99 the product promises at 2,000 envelopes/s. */
export const ACK_P99_TARGET_MS = 5;
/** One connector must sustain this share of the Redis enqueue ceiling. */
export const CEILING_SHARE_TARGET = 0.8;
/**
 * "Close to linear": n workers give at least this share of n times one worker's throughput — or,
 * where the cores or Redis were at their limit, each second of worker CPU still answers at least
 * this share of what it answered with one worker (the shortfall is then the limit's).
 */
export const LINEAR_EFFICIENCY = 0.8;
/** A scaling step at or past this share of the machine's CPU ran into the cores. */
export const CORES_LIMIT_SHARE = 0.85;
/** A scaling step with Redis at or past this % of a core ran into Redis. */
export const REDIS_LIMIT_PCT = 85;

/** The processes that used the most CPU, the machine, and event-loop lag above 20 ms, in one line. */
export function diagnose(m: Measured, cores: number): string {
  const top = [...m.usage].sort((a, b) => b.cpuAvgPct - a.cpuAvgPct).slice(0, 4);
  const busy = m.machineBusyPct;
  const parts: string[] = [];
  const full = cores * 100;
  if (busy >= full * 0.9) parts.push(`the machine was CPU-bound (${busy}% of ${full}%: ${cores} cores)`);
  else parts.push(`machine ${busy}% busy of ${full}%`);
  parts.push(`CPU ${top.map((u) => `${u.name} ${u.cpuAvgPct}%`).join(', ')}`);
  const saturated = m.usage.filter((u) => u.cpuAvgPct >= 85);
  if (saturated.length > 0) parts.push(`${saturated.map((u) => u.name).join(', ')} at a full core`);
  const logged = Object.entries(m.serviceLogs ?? {})
    .filter(([, l]) => l.error + l.warn > 0)
    .map(([name, l]) => `${name} logged ${l.error} errors / ${l.warn} warnings (${l.messages.slice(0, 2).map((x) => `'${x}'`).join(', ')})`);
  if (logged.length > 0) parts.push(logged.join('; '));
  const lagging = Object.entries(m.eventLoopMs)
    .filter(([, l]) => Number.isFinite(l.p99) && l.p99 >= 20)
    .map(([name, l]) => `${name} ${Math.round(l.p99)} ms`);
  if (lagging.length > 0) parts.push(`event-loop p99 ${lagging.join(', ')}`);
  const queues = queuePeaksText(m.queuePeaks);
  if (queues) parts.push(`queues at their deepest: ${queues}`);
  const acks = connectorAcksText(m.connectorAcks, m.connectorEnqueue);
  if (acks) parts.push(`inside the connectors (frame handled → ack written, their own histogram): ${acks}`);
  return parts.join('; ');
}

/** What limited worker scaling: 'cores', 'redis', 'none' (still linear), or null without data. */
export function scalingLimit(points: ScalingPoint[], cores: number): string | null {
  if (points.length < 2) return null;
  const base = points[0]!;
  const last = points[points.length - 1]!;
  if (linearShare(last, base) >= LINEAR_EFFICIENCY) return 'none';
  return stepLimit(last, cores) ?? (last.workers >= cores ? 'cores' : 'unclear');
}

/** Throughput as a share of linear from the first point: 1 = n workers answer n times as fast. */
export function linearShare(p: ScalingPoint, base: ScalingPoint): number {
  return p.throughputPerSecond / ((base.throughputPerSecond * p.workers) / base.workers || 1);
}

/** The limit a scaling point ran into, from its own figures: Redis at a full core, or the machine's cores. */
function stepLimit(p: ScalingPoint, cores: number): 'redis' | 'cores' | null {
  const redis = p.usage.find((u) => u.name === 'redis');
  if (redis && redis.cpuAvgPct >= REDIS_LIMIT_PCT) return 'redis';
  if (p.machineBusyPct >= cores * 100 * CORES_LIMIT_SHARE) return 'cores';
  return null;
}

export interface ScalingStep {
  workers: number;
  /** Throughput as a share of linear (1 = linear). */
  linear: number;
  /** Answers per second of worker CPU as a share of the first point's; null without CPU figures. */
  perCpu: number | null;
  limit: 'redis' | 'cores' | null;
  /** Close to linear, or short of it only because of the limit (the cost per answer held). */
  pass: boolean;
}

/**
 * Each point after the first, judged as the target reads: close to linear until Redis or the cores
 * are the limit. A point at a limit passes when a second of worker CPU still did ≥ 80% of the work
 * it did with one worker — the workers did not get in each other's way, they ran out of CPU (or
 * Redis). A point at no limit has to be ≥ 80% of linear.
 */
export function scalingSteps(points: readonly ScalingPoint[], cores: number): ScalingStep[] {
  const base = points[0];
  if (!base) return [];
  return points.slice(1).map((p) => {
    const linear = linearShare(p, base);
    const perCpu = perCpuShare(p, base);
    const limit = stepLimit(p, cores);
    const pass = linear >= LINEAR_EFFICIENCY || (limit !== null && perCpu !== null && perCpu >= LINEAR_EFFICIENCY);
    return { workers: p.workers, linear, perCpu, limit, pass };
  });
}

/** `2 workers 79% of linear with the cores at their limit (machine 196.4% busy of 200%), 95% of one worker's answers per CPU-second`. */
function stepText(step: ScalingStep, point: ScalingPoint, cores: number): string {
  const where =
    step.limit === 'redis'
      ? `Redis at its limit (${point.usage.find((u) => u.name === 'redis')?.cpuAvgPct}% of a core)`
      : step.limit === 'cores'
        ? `the cores at their limit (machine ${point.machineBusyPct}% busy of ${cores * 100}%)`
        : `no limit reached (machine ${point.machineBusyPct}% busy)`;
  const perCpu = step.perCpu === null ? '' : `, ${pct(step.perCpu)} of one worker's answers per CPU-second`;
  return `${step.workers} workers ${pct(step.linear)} of linear with ${where}${perCpu}`;
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** `X ms (events a, interactive b, slash c)`: slash commands wait on the sync lane for the worker's ack(). */
export function ackP99Text(run: SystemRun): string {
  const t = run.load.ackLatencyByTypeMs;
  const parts = [
    ['events', 'events_api'],
    ['interactive', 'interactive'],
    ['slash', 'slash_commands'],
  ]
    .filter(([, k]) => t[k!] && t[k!]!.count > 0)
    .map(([label, k]) => `${label} ${t[k!]!.p99}`);
  return `${run.load.ackLatencyMs.p99} ms${parts.length > 1 ? ` (p99 by type, ms: ${parts.join(', ')})` : ''}`;
}

function sw(result: BenchResult, id: string): SystemRun | undefined {
  return result.scenarios.find((s) => s.id === id)?.runs.socketworks;
}

/** Every Socketworks run of a scenario (`--repeat`), in the order they ran. */
function swRuns(result: BenchResult, id: string): RepeatRun[] {
  const scenario = result.scenarios.find((s) => s.id === id);
  return scenario ? repeatsOf(scenario, 'socketworks') : [];
}

/** `; the median of 3 runs (ack p99 21.6–50.5 ms)` with repeats, '' for one run. */
export function repeatNote(runs: readonly RepeatRun[]): string {
  if (runs.length < 2) return '';
  const r = range(runs, (x) => x.load.ackLatencyMs.p99);
  return `; the median of ${runs.length} runs (ack p99 ${r.min}–${r.max} ms)`;
}

/** The run with the most of a fault, to diagnose a miss by (the first when none has any). */
function worst(runs: readonly RepeatRun[], faults: (run: RepeatRun) => number): RepeatRun {
  return runs.reduce((a, b) => (faults(b) > faults(a) ? b : a));
}

function overRuns(runs: readonly unknown[]): string {
  return runs.length > 1 ? ` over ${runs.length} runs` : '';
}

export function evaluateTargets(result: BenchResult): Target[] {
  const cores = result.machine.nproc;
  const targets: Target[] = [];

  const steady = sw(result, 'steady-2000');
  targets.push(
    steady
      ? {
          id: 'ack-p99-2000',
          text: `ack p99 ≤ ${ACK_P99_TARGET_MS} ms at 2,000 envelopes/s (Socketworks, end to end)`,
          measured: `${ackP99Text(steady)}${repeatNote(swRuns(result, 'steady-2000'))}`,
          pass: steady.load.ackLatencyMs.p99 <= ACK_P99_TARGET_MS,
          why: steady.load.ackLatencyMs.p99 <= ACK_P99_TARGET_MS ? undefined : diagnose(steady, cores),
        }
      : notRun('ack-p99-2000', `ack p99 ≤ ${ACK_P99_TARGET_MS} ms at 2,000 envelopes/s`),
  );

  const slow = sw(result, 'slow-handlers');
  if (slow) {
    const p99 = slow.load.ackLatencyMs.p99;
    const pass = p99 <= ACK_P99_TARGET_MS;
    targets.push({
      id: 'ack-p99-slow-handlers',
      text: `ack p99 unaffected by 200 ms handlers (still ≤ ${ACK_P99_TARGET_MS} ms)`,
      measured: `${ackP99Text(slow)} with 200 ms handlers${repeatNote(swRuns(result, 'slow-handlers'))}${steady ? `, vs ${steady.load.ackLatencyMs.p99} ms without` : ''}`,
      pass,
      why: pass ? undefined : diagnose(slow, cores),
    });
  } else targets.push(notRun('ack-p99-slow-handlers', 'ack p99 unaffected by 200 ms handlers'));

  // Faults are counted over every run: one bad run is a miss, whatever the median run shows.
  const refreshRuns = swRuns(result, 'refresh');
  if (refreshRuns.length > 0) {
    const t = faultTotals(refreshRuns);
    const pass = t.waitedForSocket === 0 && t.redelivered === 0 && t.lost === 0;
    const bad = worst(refreshRuns, (r) => r.load.frames.waitedForSocket + r.load.frames.redelivered + r.load.envelopes.lost);
    targets.push({
      id: 'refresh-no-wait',
      text: 'refresh_requested every 3 s: no envelope waits for a socket, none is redelivered',
      measured: `${t.waitedForSocket} waited, ${t.redelivered} redelivered, ${t.lost} lost${overRuns(refreshRuns)}`,
      pass,
      why: pass ? undefined : `${diagnose(bad, cores)}; ${bad.load.socketsOpened} sockets opened during the load`,
    });
  } else targets.push(notRun('refresh-no-wait', 'refresh_requested every 3 s: no wait, no redelivery'));

  const dropRuns = swRuns(result, 'drop');
  if (dropRuns.length > 0) {
    const t = faultTotals(dropRuns);
    const pass = t.lost === 0 && t.handledTwice === 0 && t.unanswered === 0 && t.undelivered === 0;
    const pending = t.unanswered + t.undelivered;
    const open = pending > 0 ? `${pending} envelopes were still unanswered or undelivered when the settle time ran out, so whether they are handled (once) is not known; ` : '';
    const bad = worst(dropRuns, (r) => r.load.envelopes.lost + r.load.envelopes.handledTwice + r.load.envelopes.unanswered + (r.load.envelopes.undelivered ?? 0));
    targets.push({
      id: 'drop-no-loss',
      text: 'abrupt drop every 5 s: no envelope lost or handled twice',
      measured: `${t.lost} lost, ${t.handledTwice} handled twice, ${t.unanswered} acked but unanswered, ${t.undelivered} never delivered (${t.redelivered} redeliveries)${overRuns(dropRuns)}`,
      pass,
      why: pass ? undefined : `${open}${diagnose(bad, cores)}`,
    });
  } else targets.push(notRun('drop-no-loss', 'abrupt drop every 5 s: no loss, no double handling'));

  const ceiling = result.ceiling.best;
  const sat = result.connectorOnly.saturation;
  if (ceiling && sat) {
    const ratio = sat.sustainedPerSecond / ceiling.jobsPerSecond;
    const failed = sat.steps.find((s) => !s.pass);
    const probeNote = ceilingLimit(ceiling, cores);
    // Without a failing step the connector was never saturated: the ratio is only a lower bound.
    const pass = ratio >= CEILING_SHARE_TARGET ? true : failed ? false : null;
    targets.push({
      id: 'connector-vs-ceiling',
      text: `one connector sustains ≥ ${CEILING_SHARE_TARGET * 100}% of the Redis enqueue ceiling`,
      measured: `${sat.sustainedPerSecond}/s sustained vs ${ceiling.jobsPerSecond}/s ceiling = ${failed ? '' : '≥ '}${Math.round(ratio * 100)}%`,
      pass,
      why:
        pass === true
          ? undefined
          : [
              failed
                ? `the first failing step (${failed.rate}/s): ${failed.why}; ${diagnose(failed, cores)}`
                : `no step failed up to ${sat.steps[sat.steps.length - 1]?.rate}/s, the plan's highest: the connector was not saturated, so the ratio is a lower bound`,
              `ceiling run (${ceiling.processes} probe process(es) × ${ceiling.producers} producers): ${ceiling.usage.map((u) => `${u.name} ${u.cpuAvgPct}%`).join(', ')}. ${probeNote}`,
              cpuPerEnvelopeNote(sat, ceiling),
            ]
              .filter(Boolean)
              .map((part) => part.replace(/\.$/, ''))
              .join('. '),
    });
  } else targets.push(notRun('connector-vs-ceiling', `one connector sustains ≥ ${CEILING_SHARE_TARGET * 100}% of the Redis enqueue ceiling`));

  const points = result.scaling.points;
  if (points.length >= 2) {
    const base = points[0]!;
    const rows = points.map((p) => `${p.workers}: ${p.throughputPerSecond}/s (${pct(linearShare(p, base))} of linear)`);
    const steps = scalingSteps(points, cores);
    const pass = steps.every((s) => s.pass);
    const below = steps.filter((s) => s.linear < LINEAR_EFFICIENCY);
    const failed = steps.filter((s) => !s.pass);
    const point = (s: ScalingStep) => points.find((p) => p.workers === s.workers)!;
    const why = pass
      ? below.length > 0
        ? `below linear only at a limit, where each second of worker CPU still answered ≥ ${pct(LINEAR_EFFICIENCY)} of one worker's: ${below.map((s) => stepText(s, point(s), cores)).join('; ')}`
        : undefined
      : [`short of linear, and not explained by a limit alone: ${failed.map((s) => stepText(s, point(s), cores)).join('; ')}`, limitText(result.scaling.limit, cores, points[points.length - 1]!), perWorkerCpuNote(points)]
          .filter(Boolean)
          .join('; ');
    targets.push({
      id: 'worker-scaling',
      text: 'workers scale close to linearly until Redis or the cores are the limit',
      measured: rows.join('; '),
      pass,
      why,
    });
  } else targets.push(notRun('worker-scaling', 'workers scale close to linearly'));
  return targets;
}

function limitText(limit: string | null, cores: number, last: ScalingPoint): string | undefined {
  switch (limit) {
    case 'none':
      return undefined;
    case 'cores':
      return `limited by the cores: this machine has ${cores}, and ${last.workers} workers plus Redis, the connector and the simulator share them (machine ${last.machineBusyPct}% busy of ${cores * 100}%)`;
    case 'redis':
      return `limited by Redis: ${last.usage.find((u) => u.name === 'redis')?.cpuAvgPct}% of a core at ${last.workers} workers`;
    case 'unclear':
      return `below linear without a saturated core or Redis (machine ${last.machineBusyPct}% busy): see the process table`;
    default:
      return undefined;
  }
}

/** Answers per second of the workers' CPU (their summed average CPU, in cores), or null without it. */
export function answersPerWorkerCpuSecond(p: ScalingPoint): number | null {
  const cores = cpuSum(p.usage, (u) => u.name.startsWith('worker')) / 100;
  return cores > 0 ? p.throughputPerSecond / cores : null;
}

/** A point's answers per second of worker CPU as a share of the first point's; null without CPU figures. */
export function perCpuShare(p: ScalingPoint, base: ScalingPoint): number | null {
  const own = answersPerWorkerCpuSecond(p);
  const first = answersPerWorkerCpuSecond(base);
  return own !== null && first ? own / first : null;
}

/**
 * How much work a second of worker CPU did at each scale, against the first point: it separates a
 * cost per answer that grows with more workers from CPU the workers could not get.
 */
export function perWorkerCpuNote(points: readonly ScalingPoint[]): string {
  const base = points[0];
  if (!base || !answersPerWorkerCpuSecond(base)) return '';
  const parts = points.map((p) => {
    const a = answersPerWorkerCpuSecond(p);
    return a === null ? `${p.workers}: –` : `${p.workers}: ${Math.round(a)} (${pct(perCpuShare(p, base)!)})`;
  });
  return `answers per second of worker CPU, by workers: ${parts.join(', ')}`;
}

/** Summed average CPU of the processes `filter` picks, in % of one core (rounded). */
export function cpuSum(usage: ProcessUsage[], filter: (u: ProcessUsage) => boolean = () => true): number {
  return Math.round(usage.filter(filter).reduce((a, u) => a + u.cpuAvgPct, 0));
}

function notRun(id: string, text: string): Target {
  return { id, text, measured: 'not measured in this run', pass: null, why: 'the scenario was not part of this plan, or it failed (see failures)' };
}

/**
 * CPU per envelope of the connector at its highest passing step, next to the probes' CPU per add
 * in the best ceiling run: how much of the connector's cost the bare enqueue already is. '' when
 * a figure is missing.
 */
export function cpuPerEnvelopeNote(sat: SaturationRun, ceiling: CeilingRun): string {
  const step = sat.steps.find((s) => s.pass && s.rate === sat.saturationRate);
  const rate = step?.load.throughput.ackedPerSecond ?? 0;
  const connectorPct = step ? cpuSum(step.usage, (u) => u.name.startsWith('connector')) : 0;
  const probesPct = cpuSum(ceiling.usage, (u) => u.name.startsWith('ceiling-'));
  if (rate <= 0 || connectorPct <= 0 || probesPct <= 0 || ceiling.jobsPerSecond <= 0) return '';
  // % of a core per envelope/s → µs of CPU per envelope.
  const connectorUs = (connectorPct * 10_000) / rate;
  const probeUs = (probesPct * 10_000) / ceiling.jobsPerSecond;
  return (
    `CPU per envelope: the connector ${Math.round(connectorUs)} µs at ${Math.round(rate)}/s, the probes ${Math.round(probeUs)} µs per add (EXISTS + add, nothing else): ` +
    `the bare enqueue is ${Math.round((probeUs / connectorUs) * 100)}% of the connector's cost, which one process pays on one core`
  );
}

/**
 * What held the best ceiling run back, from its CPU figures: Redis at a full core, every probe at
 * a full core, or the machine's cores all busy.
 */
export function ceilingLimit(ceiling: CeilingRun, cores: number): string {
  const redis = ceiling.usage.find((u) => u.name === 'redis')?.cpuAvgPct ?? 0;
  const probes = ceiling.usage.filter((u) => u.name.startsWith('ceiling-'));
  const busy = Math.round(ceiling.machineBusyPct);
  if (redis >= 90) return `Redis was at a full core (${redis}%): this is Redis's own limit.`;
  if (busy >= cores * 100 * 0.85) return `The machine was ${busy}% busy of ${cores * 100}%: the cores were the limit, Redis (${redis}%) shared them with the probes.`;
  if (probes.length > 0 && probes.every((p) => p.cpuAvgPct >= 90)) return `Every probe process was at a full core: the producers were the limit, Redis (${redis}%) had room left.`;
  return `No process was at a full core (Redis ${redis}%) and the machine was ${busy}% busy of ${cores * 100}%: the limit was the round trips between the probes and Redis.`;
}
