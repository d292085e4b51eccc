// Writes a run's files: <timestamp>.json, latest.json, latest.md and charts/*.svg.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCharts } from './charts';
import { renderMarkdown } from './report';
import type { BenchResult } from './result-types';

/** `2025-01-31T12-34-56Z`: sortable and safe in file names. */
export function timestampName(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/**
 * Scenarios whose per-250 ms timeline is kept in the JSON: the charted ones, and those the ack
 * targets are judged on (a reader can see whether a p99 came from one stall or from everywhere).
 * Others drop it to keep the file small.
 */
const TIMELINE_KEPT = new Set(['steady-2000', 'slow-handlers', 'refresh', 'drop', 'burst']);

/** The result as stored: timelines only where a chart or a reader needs them. */
export function compactResult(result: BenchResult): BenchResult {
  return {
    ...result,
    scenarios: result.scenarios.map((s) =>
      TIMELINE_KEPT.has(s.id)
        ? s
        : { ...s, runs: Object.fromEntries(Object.entries(s.runs).map(([k, run]) => [k, { ...run, load: { ...run.load, timeline: [] } }])) },
    ),
    connectorOnly: {
      ...result.connectorOnly,
      steady: result.connectorOnly.steady.map((run) => ({ ...run, load: { ...run.load, timeline: [] } })),
    },
  };
}

/** Returns the paths written. Charts of an earlier run that this run has no data for are removed. */
export async function writeOutputs(result: BenchResult, outDir: string): Promise<string[]> {
  const chartDir = join(outDir, 'charts');
  await mkdir(chartDir, { recursive: true });
  for (const name of await readdir(chartDir)) if (name.endsWith('.svg')) await rm(join(chartDir, name));
  const charts = buildCharts(result);
  const json = `${JSON.stringify(compactResult(result))}\n`;
  const files: Array<[string, string]> = [
    [join(outDir, `${timestampName(result.startedAt)}.json`), json],
    [join(outDir, 'latest.json'), json],
    [join(outDir, 'latest.md'), renderMarkdown(result, charts)],
    ...charts.map((c): [string, string] => [join(outDir, 'charts', c.name), c.svg]),
  ];
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([path]) => path);
}
