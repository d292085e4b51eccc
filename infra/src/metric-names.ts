// The metric names the services actually define, read from their sources (every
// `name: 'socketworks_…'` outside tests) plus the process metrics `createMetricsRegistry` adds, so
// alert rules and dashboards can be checked against what is really exported.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';

export const REPO_ROOT = join(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test-support') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

export interface DefinedMetrics {
  /** Every metric name as registered. */
  names: Set<string>;
  /** Histograms (their series carry `_bucket`, `_sum`, `_count`). */
  histograms: Set<string>;
  /** name → the file that defines it (relative), for messages. */
  where: Map<string, string>;
}

export function definedMetrics(): DefinedMetrics {
  const names = new Set<string>();
  const histograms = new Set<string>();
  const where = new Map<string, string>();
  for (const area of ['services', 'libs']) {
    const areaDir = join(REPO_ROOT, area);
    for (const project of readdirSync(areaDir)) {
      const src = join(areaDir, project, 'src');
      if (!statSync(join(areaDir, project)).isDirectory()) continue;
      let files: string[];
      try {
        files = sourceFiles(src);
      } catch (err) {
        // A project without src/ yet (being written): nothing defined there.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(/\bname:\s*'(socketworks_[a-z0-9_]+)'/g)) {
          names.add(match[1]!);
          where.set(match[1]!, file.slice(REPO_ROOT.length + 1));
        }
        for (const match of text.matchAll(/new Histogram\(\{\s*name:\s*'(socketworks_[a-z0-9_]+)'/g)) histograms.add(match[1]!);
      }
    }
  }
  // createMetricsRegistry (libs/runtime) adds prom-client's process metrics with this prefix.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'socketworks_' });
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
    if ((metric as unknown as { type?: string }).type === 'histogram') histograms.add(metric.name);
  }
  registry.clear();
  return { names, histograms, where };
}

/** The socketworks_* metric names a PromQL expression uses. */
export function metricsIn(expr: string): string[] {
  return [...new Set(expr.match(/\bsocketworks_[a-z0-9_]+/g) ?? [])];
}

/** Whether a series name is exported: a defined metric, or a histogram's `_bucket`/`_sum`/`_count`. */
export function isExported(series: string, defined: DefinedMetrics): boolean {
  if (defined.names.has(series)) return true;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return base !== series && defined.histograms.has(base);
}
