// bench-results/latest.md from a BenchResult: the machine and command first, then the targets, the
// side-by-side table, saturation, the connector's own figures, worker scaling, resources, charts,
// a sizing guide and how every figure was measured. Pure: the same JSON gives the same Markdown.
import { DEFAULT_WORKER_QUEUES } from '@socketworks/protocol';
import type { ChartFile } from './charts';
import { boundText, type BucketSummary } from './connector-acks';
import type { LoadResult } from './load-types';
import { queuePeaksText } from './queue-depths';
import { faultTotals, range, repeatsOf } from './repeats';
import type { BenchResult, Measured, RepeatRun, SaturationRun, ScalingPoint, SystemName, SystemRun } from './result-types';
import { CORES_LIMIT_SHARE, LINEAR_EFFICIENCY, REDIS_LIMIT_PCT, answersPerWorkerCpuSecond, ceilingLimit, cpuSum, linearShare, perCpuShare } from './targets';
import type { ProcessUsage } from './sampler';
import { totalConcurrency, workerQueueSpecs } from './worker-queues';

const SYSTEM_LABEL: Record<string, string> = { socketworks: 'Socketworks', bolt: 'Bolt (Socket Mode)', connector: 'one connector' };

/** A Markdown table; cells are escaped for `|`. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function ms(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${Math.round(v)}`;
  return v.toFixed(v >= 10 ? 1 : 2);
}

function int(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

function duration(msTotal: number): string {
  const s = Math.round(msTotal / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

function rssSum(usage: ProcessUsage[], filter: (u: ProcessUsage) => boolean = () => true): number {
  return Math.round(usage.filter(filter).reduce((a, u) => a + u.rssPeakMb, 0));
}

/** Processes that belong to the system itself (not the simulator, not Redis). */
const own = (u: ProcessUsage) => u.name !== 'sim' && u.name !== 'redis';

function usageLine(m: Measured): string {
  return [...m.usage]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((u) => `${u.name} ${Math.round(u.cpuAvgPct)}% / ${Math.round(u.rssPeakMb)} MB`)
    .join(', ');
}

function lagLine(m: Measured): string {
  return Object.entries(m.eventLoopMs)
    .filter(([, l]) => Number.isFinite(l.p99))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, l]) => `${name} ${ms(l.p99)}/${ms(l.max)}`)
    .join(', ');
}

function loadCells(load: LoadResult): string[] {
  const e = load.envelopes;
  const f = load.frames;
  return [
    `${int(f.sent)} / ${int(f.acked)} / ${int(f.unacked)}`,
    `${int(e.injected)} / ${int(e.acked)} / ${int(e.answered)}`,
    (e.undelivered ?? 0) > 0 ? `${int(e.lost)} (+${int(e.undelivered)} never delivered)` : int(e.lost),
    int(f.redelivered),
    int(f.waitedForSocket),
    int(e.handledTwice),
    `${ms(load.ackLatencyMs.p50)} / ${ms(load.ackLatencyMs.p99)} / ${ms(load.ackLatencyMs.max)}`,
    byType(load),
    load.answerLatencyMs.count > 0 ? `${ms(load.answerLatencyMs.p50)} / ${ms(load.answerLatencyMs.p99)}` : '–',
    int(load.throughput.ackedPerSecond),
    load.throughput.answeredPerSecond > 0 ? int(load.throughput.answeredPerSecond) : '–',
  ];
}

/** Ack p99 per envelope type: slash commands wait for the worker's ack() on the sync lane. */
function byType(load: Pick<LoadResult, 'ackLatencyByTypeMs'>): string {
  const t = load.ackLatencyByTypeMs;
  const cell = (k: string) => (t[k] && t[k].count > 0 ? ms(t[k].p99) : '–');
  return `${cell('events_api')} / ${cell('interactive')} / ${cell('slash_commands')}`;
}

const LOAD_HEADER = [
  'frames sent / acked / unacked',
  'envelopes injected / acked / answered',
  'lost',
  'redelivered',
  'waited for a socket',
  'handled twice',
  'ack p50 / p99 / max (ms)',
  'ack p99 events / interactive / slash (ms)',
  'answer p50 / p99 (ms)',
  'acked/s',
  'answered/s',
];

function workerNiceNote(nice: number): string {
  return nice > 0 ? ` at \`WORKER_NICE=${nice}\` (the connectors' acks go first when the workers keep the cores busy; README "Sharing a host")` : '';
}

function workerQueuesNote(queues: string | undefined): string {
  if (!queues) return '';
  const specs = workerQueueSpecs(queues);
  const given = specs.length === 1 ? `\`WORKER_QUEUES=${specs[0]}\`` : `\`WORKER_QUEUES\` per worker (${specs.map((q, i) => `worker-${i + 1} \`${q}\``).join(', ')})`;
  return ` with ${given} (given with --worker-queues: the comparison scenarios and saturation; worker scaling keeps the worker's default)`;
}

/** What a `--quick` report's latencies are good for (tools/bench/README.md gives a measured pair). */
const QUICK_CAVEAT =
  'loads of 1–5.5 s after 0.5 s of warm-up: the first seconds of a load, while the workers and queues go from idle to busy, ' +
  "weigh far more than in a full run's 10 s loads, so latencies come out higher than a full run's on the same machine. " +
  'Compare the systems within this run; quote figures from `npm run bench`';

function header(r: BenchResult): string {
  const m = r.machine;
  const shared =
    r.otherLoadPct !== null && r.otherLoadPct >= 10
      ? `**shared**: on average ${r.otherLoadPct}% of the machine's CPU (of ${m.nproc * 100}%) was used by processes outside the benchmark during loads — figures are noisier than on a quiet machine`
      : r.otherLoadPct !== null
        ? `quiet: ${r.otherLoadPct}% of the machine's CPU (of ${m.nproc * 100}%) used by other processes during loads on average`
        : 'not measured';
  return [
    `# Socketworks benchmark${r.quick ? ' (quick run)' : ''}`,
    '',
    table(
      ['', ''],
      [
        ['Machine', `${m.nproc} cores (\`nproc\`), ${m.cpuModel}, ${m.memoryGb} GB memory, ${m.os}`],
        ['Node', m.node],
        ['Redis', `${m.redis} (${r.config.redis === 'private' ? 'a private redis-server started by the benchmark on a spare port, no persistence' : 'an existing server given with --redis-url'})`],
        ['Command', `\`${r.command}\``],
        ['Code', codeText(r.code)],
        ['Date', `${r.startedAt} (wall time ${duration(r.wallMs)})`],
        ['Runs', runsText(r.runCount)],
        ...(r.quick ? [['Quick run', QUICK_CAVEAT]] : []),
        ['Other load', `${shared}; 1-minute load average at start ${m.loadAverageAtStart}`],
      ],
    ),
    '',
    `Socketworks here is ${r.config.connectors} connector process${r.config.connectors > 1 ? 'es' : ''} (sharing ${r.config.slackConnections} socket${r.config.slackConnections > 1 ? 's' : ''} through their slot leases: \`SLACK_CONNECTIONS=${r.config.slackConnections}\`) + ${r.config.workers} worker processes running the bundled example app${workerQueuesNote(r.config.workerQueues)}${workerNiceNote(r.config.workerNice ?? 0)} + Redis. ` +
      'The reference is a Bolt for JS 4.7 app in Socket Mode in one process, with listeners that do what the example app does. ' +
      'Both get the same simulator (a fresh process per run), the same offered load and a fresh Redis key prefix; they run one after the other, never at the same time.',
    '',
  ].join('\n');
}

function codeText(code: BenchResult['code']): string {
  if (code === undefined) return 'not recorded (a run from before reports named their commit)';
  if (code === null) return 'unknown (not run from a git checkout)';
  return `commit \`${code.commit.slice(0, 12)}\`${code.changed ? ', with uncommitted changes in the working tree' : ''}`;
}

function runsText(count: number): string {
  if (count <= 1) return `${count} (each scenario once per system; all figures come from this single run)`;
  return (
    `${count} (each comparison scenario ${count} times per system, the systems taking turns; tables and charts show the run with the median ack p99, ` +
    'the summary adds the range over all runs, and lost / twice / waited / redelivered count every run. Saturation, the enqueue ceiling, the connector alone and worker scaling ran once)'
  );
}

/** `37.9` for one run; `37.9 (21.6–50.5)` (median run, then the lowest and highest) for repeats. */
function withRange(runs: readonly RepeatRun[], shown: SystemRun, figure: (load: RepeatRun['load']) => number): string {
  if (runs.length < 2) return ms(figure(shown.load));
  const { min, max } = range(runs, (x) => figure(x.load));
  return `${ms(figure(shown.load))} (${ms(min)}–${ms(max)})`;
}

function faultsText(runs: readonly RepeatRun[]): string {
  const t = faultTotals(runs);
  return `${int(t.lost)}${t.undelivered > 0 ? ` (+${int(t.undelivered)} never delivered)` : ''} / ${int(t.handledTwice)} / ${int(t.waitedForSocket)} / ${int(t.redelivered)}`;
}

/** One line per scenario, both systems: the table the root README copies. */
export function summaryTable(r: BenchResult): string {
  const rows: string[][] = [];
  for (const s of r.scenarios) {
    const cells = (system: SystemName, f: (runs: RepeatRun[], shown: SystemRun) => string) => {
      const shown = s.runs[system];
      return shown ? f(repeatsOf(s, system), shown) : '–';
    };
    const ackP99 = (runs: RepeatRun[], shown: SystemRun) => withRange(runs, shown, (l) => l.ackLatencyMs.p99);
    const answerP99 = (runs: RepeatRun[], shown: SystemRun) => withRange(runs, shown, (l) => l.answerLatencyMs.p99);
    rows.push([
      s.title,
      cells('socketworks', ackP99),
      cells('bolt', ackP99),
      cells('socketworks', answerP99),
      cells('bolt', answerP99),
      cells('socketworks', faultsText),
      cells('bolt', faultsText),
    ]);
  }
  for (const system of ['socketworks', 'bolt'] as const) {
    const sat = r.saturation[system];
    if (sat) rows.push([`Saturation point (${SYSTEM_LABEL[system]})`, system === 'socketworks' ? satText(sat) : '', system === 'bolt' ? satText(sat) : '', '', '', '', '']);
  }
  if (rows.length === 0) return '';
  const over = r.runCount > 1 ? `, all ${r.runCount} runs` : '';
  const p99 = r.runCount > 1 ? ' (lowest–highest)' : '';
  return table(
    [
      'scenario',
      `ack p99 ms: Socketworks${p99}`,
      `ack p99 ms: Bolt${p99}`,
      `answer p99 ms: Socketworks${p99}`,
      `answer p99 ms: Bolt${p99}`,
      `lost / twice / waited / redelivered: Socketworks${over}`,
      `lost / twice / waited / redelivered: Bolt${over}`,
    ],
    rows,
  );
}

function satText(run: SaturationRun): string {
  return run.saturationRate === null ? `< ${int(run.steps[0]?.rate ?? 0)}/s` : `${int(run.saturationRate)}/s`;
}

function summarySection(r: BenchResult): string {
  const t = summaryTable(r);
  if (!t) return '';
  return ['## Summary', '', t, '', 'Details, resources and how each figure is measured follow.', ''].join('\n');
}

function targetsSection(r: BenchResult): string {
  const verdict = (p: boolean | null) => (p === null ? 'not measured' : p ? '**met**' : '**missed**');
  return ['## Targets', '', table(['target', 'measured', 'verdict', 'why (from the measurements)'], r.targets.map((t) => [t.text, t.measured, verdict(t.pass), t.why ?? ''])), ''].join('\n');
}

function comparisonSection(r: BenchResult): string {
  const rows: string[][] = [];
  for (const s of r.scenarios) {
    for (const system of ['socketworks', 'bolt'] as const) {
      const run = s.runs[system];
      if (!run) continue;
      rows.push([s.title, SYSTEM_LABEL[system]!, ...loadCells(run.load), String(cpuSum(run.usage, own)), String(rssSum(run.usage, own))]);
    }
  }
  if (rows.length === 0) return '';
  const offered = r.scenarios.map((s) => `- **${s.title}**: ${s.offered}.`).join('\n');
  return [
    '## Socketworks and Bolt side by side',
    '',
    offered,
    '',
    table(['scenario', 'system', ...LOAD_HEADER, 'CPU, % of a core (system only)', 'peak RSS, MB (system only)'], rows),
    '',
  ].join('\n');
}

/** With `--repeat`: every run of every comparison scenario, in the order they ran. */
function everyRunSection(r: BenchResult): string {
  if (r.runCount < 2) return '';
  const rows: string[][] = [];
  for (const s of r.scenarios) {
    for (const system of ['socketworks', 'bolt'] as const) {
      repeatsOf(s, system).forEach((run, i) => {
        const { load } = run;
        rows.push([
          s.title,
          SYSTEM_LABEL[system]!,
          `${i + 1}${s.runs[system]?.load.startedAt === load.startedAt ? ' (shown)' : ''}`,
          `${ms(load.ackLatencyMs.p50)} / ${ms(load.ackLatencyMs.p99)} / ${ms(load.ackLatencyMs.max)}`,
          byType(load),
          load.answerLatencyMs.count > 0 ? `${ms(load.answerLatencyMs.p50)} / ${ms(load.answerLatencyMs.p99)}` : '–',
          faultsText([run]),
          `${run.machineBusyPct}%`,
        ]);
      });
    }
  }
  return [
    '## Every run',
    '',
    'Each comparison scenario ran once per round, the systems taking turns; "(shown)" marks the run the tables above and the charts use (the median ack p99).',
    '',
    table(['scenario', 'system', 'run', 'ack p50 / p99 / max (ms)', 'ack p99 events / interactive / slash (ms)', 'answer p50 / p99 (ms)', 'lost / twice / waited / redelivered', `machine busy (of ${r.machine.nproc * 100}%)`], rows),
    '',
  ].join('\n');
}

function saturationRows(run: SaturationRun): string[][] {
  return run.steps.map((s) => [
    SYSTEM_LABEL[run.system]!,
    int(s.rate),
    int(s.load.injectRate),
    int(s.load.throughput.ackedPerSecond),
    `${ms(s.load.ackLatencyMs.p50)} / ${ms(s.load.ackLatencyMs.p99)} / ${ms(s.load.ackLatencyMs.max)}`,
    s.load.spec.expectAnswers ? `${int(s.load.envelopes.answered)} / ${int(s.load.envelopes.injected)}` : '–',
    s.pass ? 'pass' : `stop: ${s.why}`,
    usageLine(s),
  ]);
}

function saturationSection(r: BenchResult): string {
  const runs = [r.saturation.socketworks, r.saturation.bolt].filter((x): x is SaturationRun => x !== undefined);
  if (runs.length === 0) return '';
  const summary = runs.map((run) => `- **${SYSTEM_LABEL[run.system]}**: ${run.saturationRate === null ? 'not even the first step kept ack p99 under the limit' : `${int(run.saturationRate)}/s offered (${int(run.sustainedPerSecond)} acked/s)`}; highest acked rate in any step ${int(run.peakAckedPerSecond)}/s.`);
  return [
    '## Saturation point',
    '',
    `Offered rate stepped up until the first step whose ack p99 reached ${r.config.saturationP99LimitMs} ms (or that left envelopes unacked). Saturation point = the highest passing step.`,
    '',
    ...summary,
    '',
    table(['system', 'offered/s', 'injected/s', 'acked/s', 'ack p50 / p99 / max (ms)', 'answered / injected', 'step', 'CPU % / peak RSS per process'], runs.flatMap(saturationRows)),
    '',
  ].join('\n');
}

function connectorSection(r: BenchResult): string {
  const c = r.connectorOnly;
  const rows: string[][] = [];
  const add = (label: string, run: SystemRun) => {
    const conn = run.usage.find((u) => u.name.startsWith('connector'));
    rows.push([label, ms(run.load.ackLatencyMs.p50), ms(run.load.ackLatencyMs.p99), ms(run.load.ackLatencyMs.max), int(run.load.throughput.ackedPerSecond), int(run.load.frames.waitedForSocket), int(run.load.frames.redelivered), conn ? `${conn.cpuAvgPct}%` : '–']);
  };
  for (const run of c.steady) add(`steady ${int(run.load.spec.ratePerSecond as number)}/s`, run);
  if (c.saturation) {
    const top = c.saturation.steps.filter((s) => s.pass).pop();
    if (top) {
      const conn = top.usage.find((u) => u.name.startsWith('connector'));
      rows.push([`saturation (${int(top.rate)}/s offered)`, ms(top.load.ackLatencyMs.p50), ms(top.load.ackLatencyMs.p99), ms(top.load.ackLatencyMs.max), int(top.load.throughput.ackedPerSecond), int(top.load.frames.waitedForSocket), int(top.load.frames.redelivered), conn ? `${conn.cpuAvgPct}%` : '–']);
    }
  }
  if (c.refresh) add(`refresh_requested every ${(c.refresh.load.spec.refreshEveryMs ?? 0) / 1000} s at ${int(c.refresh.load.spec.ratePerSecond as number)}/s`, c.refresh);
  if (rows.length === 0 && !r.ceiling.best) return '';
  const ceiling = r.ceiling.best
    ? `Redis enqueue ceiling on this machine: **${int(r.ceiling.best.jobsPerSecond)} BullMQ adds/s** (${r.ceiling.best.processes} probe process(es) × ${r.ceiling.best.producers} concurrent producers, the connector's job shape and options, EXISTS + add per job, no sockets; ${r.ceiling.best.usage.map((u) => `${u.name} ${u.cpuAvgPct}%`).join(', ')}). ` +
      `All ceiling runs: ${r.ceiling.runs.map((x) => `${x.processes} × ${x.producers} producers → ${int(x.jobsPerSecond)}/s`).join('; ')}. ` +
      ceilingLimit(r.ceiling.best, r.machine.nproc)
    : 'The Redis enqueue ceiling was not measured in this run.';
  const unsaturated = c.saturation !== null && c.saturation.steps.every((s) => s.pass);
  const ratio =
    c.ratioToCeiling !== null && c.saturation
      ? `One connector sustained **${int(c.saturation.sustainedPerSecond)} envelopes/s = ${unsaturated ? '≥ ' : ''}${Math.round(c.ratioToCeiling * 100)}% of the ceiling** (target ≥ 80%)${unsaturated ? ': every step passed, so the connector was not saturated and this is a lower bound' : ''}.`
      : '';
  return [
    '## One connector, no workers',
    '',
    `The connector's own figures: ONE connector process (${c.steady[0]?.sockets ?? 2} sockets), no workers (jobs stay queued), simulator send → ack.`,
    '',
    table(['load', 'ack p50 (ms)', 'ack p99 (ms)', 'ack max (ms)', 'envelopes/s', 'waited for a socket', 'redelivered', 'connector CPU'], rows),
    '',
    ceiling,
    ratio,
    '',
  ].join('\n');
}

function perCpu(p: ScalingPoint, base: ScalingPoint): string {
  const a = answersPerWorkerCpuSecond(p);
  const share = perCpuShare(p, base);
  return a === null || share === null ? '–' : `${int(a)} (${Math.round(share * 100)}%)`;
}

function scalingSection(r: BenchResult): string {
  const points = r.scaling.points;
  if (points.length === 0) return '';
  const base = points[0]!;
  const limit =
    r.scaling.limit === 'cores'
      ? `**The cores are the limit**: this machine has ${r.machine.nproc} cores, shared by the workers, Redis, the connector and the simulator.`
      : r.scaling.limit === 'redis'
        ? '**Redis is the limit**: its one thread is at a full core.'
        : r.scaling.limit === 'none'
          ? 'Scaling stayed close to linear over the measured range.'
          : '';
  return [
    '## Worker scaling',
    '',
    `Socketworks only. ${int(base.envelopes)} envelopes are enqueued through the connector while the queues are paused; the workers start, report ready, the queues are resumed, and answers are timed from the first to the last. Every handler spends a fixed ${r.scaling.handlerCpuMs} ms of CPU, then answers as the example app does. Answers per second of worker CPU (answers/s ÷ the workers' summed CPU in cores) tell a cost per answer that grows with more workers from CPU the workers could not get. The target's verdict takes each row after the first as close to linear when it reaches ${Math.round(LINEAR_EFFICIENCY * 100)}% of linear, or when the cores or Redis were at their limit (machine ≥ ${Math.round(CORES_LIMIT_SHARE * 100)}% busy, Redis ≥ ${REDIS_LIMIT_PCT}% of a core) and a second of worker CPU still answered ≥ ${Math.round(LINEAR_EFFICIENCY * 100)}% of what it did with one worker: the shortfall is then the limit's, not the workers'.`,
    '',
    table(
      ['workers', 'answers/s', '% of linear', 'answers per second of worker CPU (% of the first row)', 'drain time', 'machine busy (of ' + r.machine.nproc * 100 + '%)', 'CPU % / peak RSS per process'],
      points.map((p) => [
        String(p.workers),
        int(p.throughputPerSecond),
        `${Math.round(linearShare(p, base) * 100)}%`,
        perCpu(p, base),
        ms(p.drainMs),
        `${p.machineBusyPct}%`,
        usageLine(p),
      ]),
    ),
    '',
    limit,
    '',
  ].join('\n');
}

function resourcesSection(r: BenchResult): string {
  const rows: string[][] = [];
  for (const s of r.scenarios) {
    for (const system of ['socketworks', 'bolt'] as const) {
      const run = s.runs[system];
      if (run) rows.push([s.title, SYSTEM_LABEL[system]!, `${run.machineBusyPct}%`, usageLine(run), lagLine(run), queuePeaksText(run.queuePeaks) || '–']);
    }
  }
  for (const run of r.connectorOnly.steady) rows.push([`connector alone, ${run.load.spec.ratePerSecond}/s`, 'one connector', `${run.machineBusyPct}%`, usageLine(run), lagLine(run), queuePeaksText(run.queuePeaks) || '–']);
  if (rows.length === 0) return '';
  return [
    '## Processes: CPU, memory, event loop',
    '',
    `CPU is the average % of one core over the load window (100% = one full core); RSS is the peak. Event-loop delay is p99/max in ms during the load (services: their own \`nodejs_eventloop_lag\` metrics; the simulator and the Bolt app: \`monitorEventLoopDelay\`). Queues (Socketworks): the most jobs waiting (wait list + prioritized set) and running at one ${r.config.sampleIntervalMs} ms sample, for the queues where jobs waited.`,
    '',
    table(['scenario', 'system', `machine busy (of ${r.machine.nproc * 100}%)`, 'CPU % / peak RSS MB per process', 'event-loop p99/max ms', 'queues at their deepest (waiting / running)'], rows),
    '',
  ].join('\n');
}

/** Sim-measured ack latency next to what the connectors measured themselves, per Socketworks load. */
function connectorAcksSection(r: BenchResult): string {
  const runs: Array<[string, SystemRun]> = [
    ...r.scenarios.flatMap((s): Array<[string, SystemRun]> => (s.runs.socketworks ? [[s.title, s.runs.socketworks]] : [])),
    ...r.connectorOnly.steady.map((run): [string, SystemRun] => [`connector alone, ${run.load.spec.ratePerSecond}/s`, run]),
  ].filter(([, run]) => (run.connectorAcks?.length ?? 0) > 0);
  if (runs.length === 0) return '';
  // Results from before the connectors timed their enqueues have no such column.
  const withEnqueue = runs.some(([, run]) => run.connectorEnqueue);
  const bounds = (s: BucketSummary | undefined) => (s ? `${boundText(s.p50LeMs)} / ${boundText(s.p99LeMs)} (${int(s.count)})` : '–');
  const rows = runs.map(([title, run]) => {
    const of = (awaited: boolean) => bounds(run.connectorAcks!.find((x) => x.awaited === awaited));
    return [title, byType(run.load), of(false), of(true), ...(withEnqueue ? [bounds(run.connectorEnqueue)] : [])];
  });
  const enqueueText = withEnqueue
    ? " The last column is the enqueue inside both (`socketworks_connector_enqueue_duration_seconds`: the job sent to Redis → Redis confirmed it, including any wait for the connector's event loop to read the reply); what an after-enqueue ack has beyond it is the connector's own work on the frame and the ack."
    : '';
  return [
    '## Ack latency inside the connectors',
    '',
    `The simulator measures each ack from its send to the ack's arrival. The connectors measure their own part: from the moment their event loop handles the frame to the ack written on the socket (\`socketworks_connector_ack_latency_seconds\`, read from their /metrics before and after the load). App mentions and clicks are acked after the enqueue, slash commands wait for the handler's \`ack()\`: compare the simulator's events (and clicks) with the first connector column, its slash commands with the second.${enqueueText} What the simulator's figure has beyond the connectors' was spent before a connector's event loop read the frame or after the ack left it: in the kernel, waiting for a core, and in the simulator's own event loop. The histogram gives bucket bounds (≤ the bucket's upper edge), not exact quantiles.`,
    '',
    table(
      [
        'scenario',
        'at the simulator: ack p99 events / interactive / slash (ms)',
        'inside the connectors, ack after the enqueue: p50 / p99 (acks)',
        "inside the connectors, ack waiting for a handler's ack(): p50 / p99 (acks)",
        ...(withEnqueue ? ['inside the connectors, the enqueue round trip: p50 / p99 (enqueues)'] : []),
      ],
      rows,
    ),
    '',
  ].join('\n');
}

function chartsSection(charts: ChartFile[]): string {
  if (charts.length === 0) return '';
  return ['## Charts', '', ...charts.map((c) => `![${c.title}](charts/${c.name})\n`), ''].join('\n');
}

/** CPU ms per envelope: per acked envelope for connectors and Redis, per answered one for workers. */
function perEnvelopeCpuMs(run: SystemRun | undefined, filter: (u: ProcessUsage) => boolean, per: 'acked' | 'answered' = 'acked'): number | null {
  const rate = per === 'acked' ? run?.load.throughput.ackedPerSecond : run?.load.throughput.answeredPerSecond;
  if (!run || !rate || rate <= 0) return null;
  return (cpuSum(run.usage, filter) / 100 / rate) * 1000;
}


/**
 * When the workers fell behind, what held them: the machine's cores when it was CPU-bound (the
 * workers then got no more CPU however little each used), else their concurrency — jobs at once
 * ÷ answers per second = the wall time of one job.
 */
export function concurrencyNote(r: BenchResult, steady: SystemRun): string {
  const answered = steady.load.throughput.answeredPerSecond;
  const acked = steady.load.throughput.ackedPerSecond;
  const workers = steady.usage.filter((u) => u.name.startsWith('worker'));
  if (workers.length === 0 || answered <= 0 || answered >= acked * 0.9) return '';
  const busiest = Math.max(...workers.map((u) => u.cpuAvgPct));
  const full = r.machine.nproc * 100;
  if (steady.machineBusyPct >= full * 0.9) {
    return (
      `- **Worker throughput**: at ${int(acked)}/s the workers answered only ${int(answered)}/s, each at ${Math.round(busiest)}% of a core or less, on a machine ${Math.round(steady.machineBusyPct)}% busy of ${full}%: ` +
      'the cores were the limit (workers, Redis, the connectors and the simulator share them), not the workers\' concurrency. More cores, or workers on machines of their own, raise it.'
    );
  }
  if (busiest >= 70) return '';
  const slots = totalConcurrency(r.config.workerQueues ?? DEFAULT_WORKER_QUEUES, 'events', r.config.workers);
  if (slots === 0) return '';
  const jobMs = (slots / answered) * 1000;
  const how = r.config.workerQueues
    ? `the \`WORKER_QUEUES\` given (${slots} events jobs at once over ${r.config.workers} workers)`
    : `the default concurrency (\`events:${slots / r.config.workers}\` × ${r.config.workers} workers = ${slots} jobs at once)`;
  return (
    `- **Worker concurrency**: at ${int(acked)}/s the workers answered only ${int(answered)}/s while using at most ${Math.round(busiest)}% of a core each: ` +
    `with ${how} one job took ≈ ${jobMs.toFixed(1)} ms of wall time (Redis round trips and the Web API call), so concurrency, not CPU, was the limit. ` +
    'Set concurrency per worker ≥ envelopes/s × job seconds ÷ workers, +50%.'
  );
}

function sizingSection(r: BenchResult): string {
  const steady = r.scenarios.find((s) => s.id === 'steady-2000')?.runs.socketworks ?? r.scenarios.find((s) => s.id.startsWith('steady'))?.runs.socketworks;
  const conn = perEnvelopeCpuMs(steady, (u) => u.name.startsWith('connector'));
  const work = perEnvelopeCpuMs(steady, (u) => u.name.startsWith('worker'), 'answered');
  const redis = perEnvelopeCpuMs(steady, (u) => u.name === 'redis');
  const rss = (prefix: string) => Math.round(Math.max(0, ...(steady?.usage.filter((u) => u.name.startsWith(prefix)).map((u) => u.rssPeakMb) ?? [0])));
  const sat = r.connectorOnly.saturation;
  const lines = [
    '## Sizing guide (from this run)',
    '',
    steady
      ? `Measured at ${int(steady.load.throughput.ackedPerSecond)} envelopes/s with the example app's handlers (${steady.load.spec.mix === 'mixed' ? 'mixed load' : 'app mentions'}):`
      : 'No steady Socketworks run in this result: the figures below are missing.',
    '',
  ];
  if (steady) {
    lines.push(
      `- **Connectors**: ${conn === null ? '–' : conn.toFixed(3)} ms of CPU per envelope (≈ ${conn === null ? '–' : Math.round(conn * 100)}% of a core per 1,000 envelopes/s), ${rss('connector')} MB RSS each.` +
        (sat ? ` One connector sustained ${int(sat.sustainedPerSecond)}/s with ack p99 under ${r.config.saturationP99LimitMs} ms.` : '') +
        ' Run at least two replicas (a dropped socket then loses nothing) and keep each under half of what one sustains, so one replica can carry the other\'s load.',
      concurrencyNote(r, steady),
      `- **Workers**: ${work === null ? '–' : work.toFixed(3)} ms of CPU per envelope for the example app's handlers (one Web API or response_url call each), ${rss('worker')} MB RSS each. ` +
        'Add your handlers\' own CPU per envelope; a worker process uses one core, so workers ≈ envelopes/s × CPU ms per envelope ÷ 1,000 ÷ 0.7 (70% target), and never more busy worker processes than cores. ' +
        'For handlers that wait (I/O), set concurrency per worker ≥ envelopes/s × handler seconds ÷ workers, with 50% headroom (`WORKER_QUEUES=events:N`; ' +
        (r.config.workerQueues ? 'the slow-handler scenario used the `WORKER_QUEUES` given with --worker-queues instead). ' : 'the slow-handler scenario used this rule). ') +
        'The `sync` queue takes slash commands, clicks, shortcuts, option loads and view submissions, and a job keeps its slot for the whole listener (the work after `ack()` too): size it for their rate × (handler seconds + the answering call), or run it in worker processes of its own (the Kubernetes manifests do) — more slots do not help while the cores are the limit: the jobs then share the same CPU and each awaited one reaches its `ack()` later; jobs whose ack the connector still holds run before the others.',
      `- **Redis**: ${redis === null ? '–' : redis.toFixed(3)} ms of Redis CPU per envelope end to end (enqueue, fetch, complete), on one thread.` +
        (r.ceiling.best ? ` Enqueues alone top out near ${int(r.ceiling.best.jobsPerSecond)}/s on this machine.` : '') +
        ' Past ~70% of a core at peak, split queues over Redis instances or use Redis Cluster (the key prefix carries a hash tag).',
      `- **Memory**: finished jobs are kept for \`QUEUE_DEDUPE_WINDOW_SECONDS\` (the dedupe window): Redis memory ≈ envelopes/s × window × job size (a few KB per app mention).`,
    );
  }
  lines.push('');
  return lines.filter((l, i) => l !== '' || i === 0 || lines[i - 1] !== '').join('\n');
}

function methodSection(r: BenchResult): string {
  return [
    '## How each figure is measured',
    '',
    `- **Load**: the simulator (\`libs/slack-sim\`) runs in its own process with the load generator next to it; envelopes are injected on an absolute schedule (no drift), each numbered in its text or ids so its answer can be matched. Mixed load = of every 20 envelopes, 18 \`app_mention\` events, 1 \`/echo\` slash command, 1 \`block_actions\` click.`,
    '- **frames sent / acked / unacked**: envelope frames written by the simulator (redeliveries included) and how many got an ack (`sent = acked + unacked`).',
    '- **envelopes injected / acked / answered**: each injected envelope followed through all its deliveries. *Lost* = delivered, but never acked and never answered by the end of the settle time; *never delivered* = still held by the simulator at the end because no socket was open. *Handled twice* = answered more than once. *Redelivered* = redelivery frames the simulator sent (events not acked within ' + `${r.config.simRedeliveryTimeoutMs / 1000} s, as Slack does). *Waited for a socket* = deliveries that found no open socket and queued in the simulator.`,
    '- **ack latency**: simulator send → ack received, per frame, on the simulator\'s monotonic clock. *inject → ack* (charts) also counts time waiting for a socket and redeliveries.',
    "- **ack latency inside the connectors** (Socketworks): each connector's `socketworks_connector_ack_latency_seconds` histogram (its event loop handles the frame → the ack is written), read from its /metrics right before and after the load and subtracted, summed over the connectors, apart for acks that waited for a handler's `ack()`; from results that have it, `socketworks_connector_enqueue_duration_seconds` (the job sent to Redis → Redis confirmed it) the same way, every queue summed; quantiles as the upper edge of their bucket.",
    '- **answer latency**: first delivery → the `chat.postMessage` (app mention) or `response_url` POST (`/echo`, button) that answers it.',
    '- **acked/s, answered/s**: envelopes acked (answered) divided by first send → last ack (answer).',
    `- **CPU and memory**: \`/proc/<pid>/stat\` (utime + stime) and \`/proc/<pid>/status\` VmRSS every ${r.config.sampleIntervalMs} ms for every process the benchmark started; Redis through its INFO (\`used_cpu_user + used_cpu_sys\`, \`used_memory_rss\`); the machine through \`/proc/stat\`. Averages over each load window.`,
    `- **Queues** (Socketworks): every ${r.config.sampleIntervalMs} ms during a load, each queue's wait list + prioritized set (waiting) and active list (running), read from Redis; the deepest sample of each queue that had jobs waiting goes into the process table and into a missed target's why.`,
    '- **Saturation**: rate steps against one running system; a step fails at ack p99 ≥ the limit or when envelopes stay unacked.',
    '- **Redis enqueue ceiling**: one and then two probe processes adding at the same time (their adds summed), each with several concurrent producers, `Queue.add` in a tight loop with the connector\'s job data (`toJobData`), job id and default job options, plus the EXISTS the connector sends before each add; no sockets.',
    '- **Worker scaling**: see its section. **Refresh/drop**: the simulator sends `disconnect refresh_requested` to (or terminates without a close frame) the oldest open socket on schedule.',
    '',
  ].join('\n');
}

function failuresSection(r: BenchResult): string {
  if (r.failures.length === 0) return '';
  return ['## Scenarios that failed to run', '', table(['scenario', 'system', 'error'], r.failures.map((f) => [f.scenario, f.system, f.error.split('\n')[0]!])), ''].join('\n');
}

export function renderMarkdown(result: BenchResult, charts: ChartFile[]): string {
  return [
    header(result),
    summarySection(result),
    targetsSection(result),
    comparisonSection(result),
    everyRunSection(result),
    saturationSection(result),
    connectorSection(result),
    scalingSection(result),
    chartsSection(charts),
    connectorAcksSection(result),
    resourcesSection(result),
    sizingSection(result),
    methodSection(result),
    failuresSection(result),
  ]
    .filter((s) => s !== '')
    .join('\n');
}
