import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMarkdown } from './report';
import { faultTotals, medianRun, range, repeatsOf, withoutTimeline } from './repeats';
import type { BenchResult, SystemRun } from './result-types';
import { sampleLoad, sampleResult, sampleRun, type SampleLoad } from './sample-result';
import { evaluateTargets } from './targets';

/** A Socketworks run whose load started at `startedAt`, so runs can be told apart. */
function run(o: Omit<SampleLoad, 'rate' | 'count'>, startedAt: number): SystemRun {
  const load = { ...sampleLoad({ rate: 1000, count: 4000, ...o }), startedAt };
  return sampleRun('socketworks', load);
}

test('medianRun: the middle run by ack p99; with an even count the worse of the two middle ones', () => {
  const runs = [run({ ackP99: 30 }, 1), run({ ackP99: 10 }, 2), run({ ackP99: 20 }, 3)];
  assert.equal(medianRun(runs).load.startedAt, 3, 'p99 20 of 10, 20, 30');
  assert.equal(medianRun([...runs, run({ ackP99: 40 }, 4)]).load.startedAt, 1, 'p99 30 of 10, 20, 30, 40');
  assert.equal(medianRun([runs[0]!]).load.startedAt, 1);
  assert.throws(() => medianRun([]), /no runs/);
});

test('faultTotals and range add up every run; withoutTimeline drops only the timeline', () => {
  const runs = [run({ ackP99: 5, lost: 1, redelivered: 4 }, 1), run({ ackP99: 9, twice: 2, waited: 3, unanswered: 1 }, 2)].map(withoutTimeline);
  assert.deepEqual(faultTotals(runs), { runs: 2, lost: 1, undelivered: 0, unanswered: 1, handledTwice: 2, waitedForSocket: 3, redelivered: 4 });
  assert.deepEqual(range(runs, (r) => r.load.ackLatencyMs.p99), { min: 5, max: 9 });
  assert.equal('timeline' in runs[0]!.load, false);
  assert.equal(runs[0]!.load.ackLatencyMs.p99, 5);
});

/** The sample result with its refresh and drop scenarios run three times by Socketworks. */
function repeated(): BenchResult {
  const r = sampleResult();
  r.runCount = 3;
  for (const s of r.scenarios) {
    const every = s.id === 'drop'
      ? [run({ ackP99: 2, dropEveryMs: 5000 }, 10), run({ ackP99: 7, lost: 2, dropEveryMs: 5000 }, 11), run({ ackP99: 3, dropEveryMs: 5000 }, 12)]
      : [run({ ackP99: 4 }, 20), run({ ackP99: 1 }, 21), run({ ackP99: 2 }, 22)];
    s.runs.socketworks = medianRun(every);
    s.repeats = { socketworks: every.map(withoutTimeline) };
  }
  r.targets = evaluateTargets(r);
  return r;
}

test('repeats: a fault in a run other than the median one still misses the target', () => {
  const r = repeated();
  const drop = r.scenarios.find((s) => s.id === 'drop')!;
  assert.equal(drop.runs.socketworks!.load.envelopes.lost, 0, 'the median run lost nothing');
  assert.equal(repeatsOf(drop, 'socketworks').length, 3);
  const target = r.targets.find((t) => t.id === 'drop-no-loss')!;
  assert.equal(target.pass, false);
  assert.match(target.measured, /^2 lost, 0 handled twice, .* over 3 runs$/);
  assert.match(r.targets.find((t) => t.id === 'ack-p99-2000')!.measured, /^2 ms; the median of 3 runs \(ack p99 1–4 ms\)$/);
});

test('repeats: the summary gives the median with the range and counts faults over all runs; every run is listed', () => {
  const md = renderMarkdown(repeated(), []);
  assert.match(md, /\| Runs \| 3 \(each comparison scenario 3 times per system/);
  const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Targets'));
  assert.match(summary, /ack p99 ms: Socketworks \(lowest–highest\)/);
  assert.match(summary, /\| Abrupt socket drop every 5 s \| 3\.00 \(2\.00–7\.00\) \| 2\.00 \|/);
  assert.match(summary, /\| 2 \/ 0 \/ 0 \/ 0 \| 0 \/ 12 \/ 0 \/ 0 \|$/m, 'Socketworks: the lost envelopes of run 2; Bolt: its one run');
  const every = md.slice(md.indexOf('## Every run'), md.indexOf('## Saturation point'));
  const dropRows = every.split('\n').filter((l) => l.startsWith('| Abrupt socket drop every 5 s | Socketworks'));
  assert.equal(dropRows.length, 3);
  assert.deepEqual(dropRows.map((l) => l.split(' | ')[2]), ['1', '2', '3 (shown)']);
});

test('one run: no range, no every-run section (results written before repeats render as before)', () => {
  const r = sampleResult();
  r.targets = evaluateTargets(r);
  const md = renderMarkdown(r, []);
  assert.doesNotMatch(md, /## Every run/);
  assert.doesNotMatch(md, /lowest–highest/);
  assert.match(md, /\| Steady 2,000\/s \| 3\.00 \| 40\.0 \|/);
});
