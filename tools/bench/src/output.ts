// Writes a run's files: <timestamp>.json, latest.json, latest.md and charts/*.svg.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCharts } from './charts';
import { renderMarkdown } from './report';
import type { BenchResult } from './result-types';

/** `2025-01-31T12-34-56Z`: sortable and safe in file names. */
export function timestampName(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Returns the paths written. */
export async function writeOutputs(result: BenchResult, outDir: string): Promise<string[]> {
  await mkdir(join(outDir, 'charts'), { recursive: true });
  const charts = buildCharts(result);
  const json = `${JSON.stringify(result, null, 1)}\n`;
  const files: Array<[string, string]> = [
    [join(outDir, `${timestampName(result.startedAt)}.json`), json],
    [join(outDir, 'latest.json'), json],
    [join(outDir, 'latest.md'), renderMarkdown(result, charts)],
    ...charts.map((c): [string, string] => [join(outDir, 'charts', c.name), c.svg]),
  ];
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([path]) => path);
}
