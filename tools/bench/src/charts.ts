// The report's charts, drawn from a BenchResult with the SVG line-chart module.
import type { BenchResult, SaturationRun, SystemRun } from './result-types';
import { lineChart, type Marker, type Series } from './svg-chart';

export interface ChartFile {
  /** File name under the output's charts/ folder. */
  name: string;
  title: string;
  svg: string;
}

const COLORS = { socketworks: '#1f77b4', bolt: '#d62728', connector: '#2ca02c' } as const;
const LABEL = { socketworks: 'Socketworks', bolt: 'Bolt (Socket Mode)', connector: 'one connector, no workers' } as const;

/** Smallest latency drawn on a log axis (an empty bucket is a gap, not zero). */
const FLOOR_MS = 0.1;

function timelineSeries(run: SystemRun, system: 'socketworks' | 'bolt'): Series[] {
  const send = run.load.timeline.map((b): [number, number | null] => [b.t / 1000, b.n > 0 ? Math.max(FLOOR_MS, b.p99) : null]);
  const inject = run.load.timeline.map((b): [number, number | null] => [b.t / 1000, b.n > 0 ? Math.max(FLOOR_MS, b.injectToAckP99) : null]);
  return [
    { name: `${LABEL[system]}: send → ack p99`, points: send, color: COLORS[system] },
    { name: `${LABEL[system]}: inject → ack p99`, points: inject, color: COLORS[system], dashed: true },
  ];
}

function timelineChart(result: BenchResult, id: string, name: string, what: string): ChartFile | undefined {
  const scenario = result.scenarios.find((s) => s.id === id);
  if (!scenario) return undefined;
  const series: Series[] = [];
  let markers: Marker[] = [];
  for (const system of ['socketworks', 'bolt'] as const) {
    const run = scenario.runs[system];
    if (!run) continue;
    series.push(...timelineSeries(run, system));
    if (markers.length === 0) markers = run.load.markers.map((m) => ({ x: m.t / 1000, kind: m.kind === 'refresh' ? 'refresh_requested sent' : 'socket dropped' }));
  }
  if (series.length === 0) return undefined;
  // Up to the last acked bucket (the settle time after it is empty).
  const lastX = Math.max(0, ...series.flatMap((x) => x.points.filter((p) => p[1] !== null).map((p) => p[0])), ...markers.map((m) => m.x));
  const title = `Ack latency through ${what}`;
  return {
    name,
    title,
    svg: lineChart({
      title,
      subtitle: `${scenario.offered}. p99 per ${result.config.bucketMs} ms bucket; gaps = no ack in that bucket.`,
      xLabel: 'seconds since the load began',
      yLabel: 'ack latency p99, ms',
      yScale: 'log',
      series,
      markers,
      xMin: 0,
      xMax: Math.ceil(lastX + 0.5),
    }),
  };
}

function saturationPoints(run: SaturationRun | null | undefined): Array<[number, number | null]> {
  return (run?.steps ?? []).map((s) => [s.rate, Math.max(FLOOR_MS, s.load.ackLatencyMs.p99)]);
}

function rateChart(result: BenchResult): ChartFile | undefined {
  const series: Series[] = [];
  for (const system of ['socketworks', 'bolt'] as const) {
    const run = result.saturation[system];
    if (run) series.push({ name: LABEL[system], points: saturationPoints(run), color: COLORS[system], dots: true });
  }
  if (result.connectorOnly.saturation) {
    series.push({ name: LABEL.connector, points: saturationPoints(result.connectorOnly.saturation), color: COLORS.connector, dots: true, dashed: true });
  }
  if (series.length === 0) return undefined;
  const title = 'Ack p99 against offered rate';
  return {
    name: 'ack-p99-vs-rate.svg',
    title,
    svg: lineChart({
      title,
      subtitle: 'Rate steps until the first with ack p99 ≥ 100 ms (simulator send → ack). Both systems: mixed load, Socketworks with its workers; one connector alone: app mentions, no workers.',
      xLabel: 'offered envelopes per second',
      yLabel: 'ack latency p99, ms',
      yScale: 'log',
      series,
      thresholds: [
        { y: result.config.saturationP99LimitMs, label: `saturation limit ${result.config.saturationP99LimitMs} ms`, color: '#999' },
        { y: 5, label: 'target 5 ms', color: '#2ca02c' },
      ],
      xMin: 0,
    }),
  };
}

function scalingChart(result: BenchResult): ChartFile | undefined {
  const points = result.scaling.points;
  if (points.length < 2) return undefined;
  const base = points[0]!;
  const perWorker = base.throughputPerSecond / base.workers;
  const title = 'Worker scaling';
  return {
    name: 'worker-scaling.svg',
    title,
    svg: lineChart({
      title,
      subtitle: `Answers per second with a fixed ${result.scaling.handlerCpuMs} ms of CPU per handler, ${base.envelopes} queued envelopes; ${result.machine.nproc} cores on this machine.`,
      xLabel: 'worker processes',
      yLabel: 'answers per second',
      series: [
        { name: 'measured', points: points.map((p) => [p.workers, p.throughputPerSecond]), color: COLORS.socketworks, dots: true },
        { name: 'linear from one worker', points: points.map((p) => [p.workers, perWorker * p.workers]), color: '#7f7f7f', dashed: true },
      ],
      xMin: 0,
    }),
  };
}

export function buildCharts(result: BenchResult): ChartFile[] {
  return [
    timelineChart(result, 'refresh', 'ack-timeline-refresh.svg', 'a refresh_requested every 3 s'),
    timelineChart(result, 'drop', 'ack-timeline-drop.svg', 'an abrupt socket drop every 5 s'),
    rateChart(result),
    scalingChart(result),
  ].filter((c): c is ChartFile => c !== undefined);
}
