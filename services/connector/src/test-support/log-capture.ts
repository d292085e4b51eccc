// Test support (not built into dist): a logger whose every line is kept, parsed.
import { createLogger, type Logger, type Registry } from '@socketworks/runtime';
import { JsonLineCollector, type LogLine } from '@socketworks/testing';

export type CapturedLine = LogLine;

export interface LogCapture {
  logger: Logger;
  /** Every line, parsed. */
  lines: CapturedLine[];
  /** Every line as written (after censoring), for searching secrets. */
  raw: string[];
  find(predicate: (line: CapturedLine) => boolean): CapturedLine[];
}

export function captureLogs(options: { level?: string; secrets?: string[] } = {}): LogCapture {
  const collector = new JsonLineCollector();
  const logger = createLogger({ name: 'connector', level: options.level ?? 'info', destination: collector.writable(), secrets: options.secrets });
  return { logger, lines: collector.lines, raw: collector.raw, find: (predicate) => collector.lines.filter(predicate) };
}

/** The current value of a counter/gauge sample, or 0 when it has no sample for those labels. */
export function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumSamples(registry, name, labels, () => true);
}

/** How many observations a histogram holds for those labels (its `_count` samples, summed). */
export function histogramCount(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumSamples(registry, name, labels, (sample) => sample === `${name}_count`);
}

async function sumSamples(registry: Registry, name: string, labels: Record<string, string>, keep: (sampleName: string | undefined) => boolean): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => keep((v as { metricName?: string }).metricName) && Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * The socket a refreshed simulator socket was replaced with: the next socket of the same slot
 * (`sockets` as the simulator lists them, in the order they opened). The slot comes from the
 * connector's 'socket connected' line, whose `host` is the hello's debug_info.host (the simulator
 * names socket conn-N's host applink-sim-N). Undefined when the slot has no later socket.
 */
export function replacementOf<S extends { id: string }>(lines: readonly CapturedLine[], sockets: readonly S[], oldId: string): S | undefined {
  const slotOf = (id: string) => lines.find((l) => l.msg === 'socket connected' && l.host === id.replace(/^conn-/, 'applink-sim-'))?.slot;
  const slot = slotOf(oldId);
  if (slot === undefined) throw new Error(`no 'socket connected' line for simulator socket ${oldId}`);
  const index = sockets.findIndex((s) => s.id === oldId);
  return sockets.slice(index + 1).find((s) => slotOf(s.id) === slot);
}
