// The root README's performance section shows the latest committed run: its date, and every chart
// that run's results make. A run committed without updating the README fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@socketworks/testing';
import { buildCharts } from './charts';
import type { BenchResult } from './result-types';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const performance = readme.slice(readme.indexOf('## Performance'), readme.indexOf('\n## ', readme.indexOf('## Performance') + 1));
const latest = JSON.parse(readFileSync(join(REPO_ROOT, 'bench-results/latest.json'), 'utf8')) as BenchResult;

test("the README's performance section names the latest run's date and command", () => {
  const when = latest.startedAt.slice(0, 16).replace('T', ' '); // 2026-11-27 10:40
  assert.ok(performance.includes(`Latest full run (${when} UTC, \`${latest.command}\``), `README does not name the run of ${when} UTC`);
});

test("the README's performance section shows every chart of the latest run, and each file exists", () => {
  const shown = [...performance.matchAll(/!\[[^\]]+\]\(bench-results\/charts\/([^)]+\.svg)\)/g)].map((m) => m[1]!);
  const made = buildCharts(latest).map((c) => c.name);
  assert.deepEqual([...shown].sort(), [...made].sort());
  for (const name of shown) assert.ok(existsSync(join(REPO_ROOT, 'bench-results/charts', name)), `${name} is missing`);
});
