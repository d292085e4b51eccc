// Test support (not built into dist): a pino destination that keeps every line, parsed.
import { Writable } from 'node:stream';
import { createLogger, type Logger, type Registry } from '@socketworks/runtime';

export type CapturedLine = Record<string, unknown> & { msg?: string; level?: string };

export interface LogCapture {
  logger: Logger;
  /** Every line, parsed. */
  lines: CapturedLine[];
  /** Every line as written (after censoring), for searching secrets. */
  raw: string[];
  find(predicate: (line: CapturedLine) => boolean): CapturedLine[];
}

export function captureLogs(options: { level?: string; secrets?: string[] } = {}): LogCapture {
  const lines: CapturedLine[] = [];
  const raw: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as CapturedLine);
      }
      done();
    },
  });
  const logger = createLogger({ name: 'connector', level: options.level ?? 'info', destination: stream, secrets: options.secrets });
  return { logger, lines, raw, find: (predicate) => lines.filter(predicate) };
}

/** The current value of a counter/gauge sample, or 0 when it has no sample for those labels. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
