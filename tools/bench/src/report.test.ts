import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCharts } from './charts';
import { compactResult, timestampName } from './output';
import { concurrencyNote, ms, renderMarkdown, table } from './report';
import type { BenchResult, ScalingPoint } from './result-types';
import { sampleResult } from './sample-result';
import { ceilingLimit, cpuPerEnvelopeNote, evaluateTargets } from './targets';

function withTargets(overrides?: Parameters<typeof sampleResult>[0]) {
  const r = sampleResult(overrides);
  r.targets = evaluateTargets(r);
  return r;
}


/** A worker-scaling point: `workers` processes at `cpu` % of a core each, Redis at 8%. */
function scalingAt(r: ReturnType<typeof sampleResult>, workers: number, perSecond: number, cpu: number[], machineBusyPct: number): ScalingPoint {
  const usage = [...cpu.map((pct, k) => ({ name: `worker-${k + 1}`, pid: 1, cpuAvgPct: pct, cpuPeakPct: pct, rssPeakMb: 100 })), { name: 'redis', pid: 1, cpuAvgPct: 8, cpuPeakPct: 8, rssPeakMb: 30 }];
  return { ...r.scaling.points[0]!, workers, throughputPerSecond: perSecond, usage, machineBusyPct };
}

test('table: header, separator, one line per row, pipes escaped', () => {
  const t = table(['a', 'b'], [['1', 'x|y'], [2, 'z']]).split('\n');
  assert.deepEqual(t, ['| a | b |', '|---|---|', '| 1 | x\\|y |', '| 2 | z |']);
});

test('ms formats small values with decimals and large ones in seconds', () => {
  assert.equal(ms(0.456), '0.46');
  assert.equal(ms(12.34), '12.3');
  assert.equal(ms(250.4), '250');
  assert.equal(ms(2500), '2.50 s');
  assert.equal(ms(NaN), '–');
});

test('the report starts with the machine, the command, the date and the run count', () => {
  const md = renderMarkdown(withTargets(), []);
  const head = md.split('\n## ')[0]!;
  assert.match(head, /^# Socketworks benchmark \(quick run\)/);
  assert.match(head, /\| Machine \| 2 cores \(`nproc`\), Test CPU, 24 GB memory/);
  assert.match(head, /\| Node \| v20\.0\.0 \|/);
  assert.match(head, /\| Redis \| 7\.0\.15 /);
  assert.match(head, /\| Command \| `npm run bench -- --quick` \|/);
  assert.match(head, /\| Code \| not recorded \(a run from before reports named their commit\) \|/);
  assert.match(head, /\| Date \| 2026-01-01T00:00:00\.000Z \(wall time 1 min 40 s\) \|/);
  assert.match(head, /\| Runs \| 1 /);
  assert.match(head, /\| Quick run \| loads of 1–5\.5 s after 0\.5 s of warm-up: .* quote figures from `npm run bench` \|/);
  const full = renderMarkdown({ ...withTargets(), quick: false }, []).split('\n## ')[0]!;
  assert.doesNotMatch(full, /Quick run/);
});

test('the report names the commit it measured, and says when the working tree differed from it', () => {
  const head = (code: BenchResult['code']) => renderMarkdown({ ...withTargets(), code }, []).split('\n## ')[0]!;
  const commit = '0123456789abcdef0123456789abcdef01234567';
  assert.match(head({ commit, changed: false }), /\| Code \| commit `0123456789ab` \|/);
  assert.match(head({ commit, changed: true }), /\| Code \| commit `0123456789ab`, with uncommitted changes in the working tree \|/);
  assert.match(head(null), /\| Code \| unknown \(not run from a git checkout\) \|/);
});

test('the side-by-side table has a row per scenario and system, with the counts and latencies', () => {
  const md = renderMarkdown(withTargets(), []);
  const section = md.slice(md.indexOf('## Socketworks and Bolt side by side'), md.indexOf('## Saturation point'));
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario'));
  assert.equal(rows.length, 8, 'four scenarios × two systems');
  const steadySw = rows.find((r) => r.startsWith('| Steady 2,000/s | Socketworks'))!;
  assert.ok(steadySw.includes('| 4,000 / 4,000 / 0 |'), 'frames sent / acked / unacked');
  assert.ok(steadySw.includes('| 0.75 / 3.00 / 12.0 |'), 'ack p50 / p99 / max');
  const dropBolt = rows.find((r) => r.startsWith('| Abrupt socket drop every 5 s | Bolt'))!;
  const cells = dropBolt.split(' | ');
  assert.equal(cells[7], '12', 'handled twice');
});

test('targets: all met in the sample; a missed one says missed and why', () => {
  const met = withTargets();
  assert.deepEqual(
    met.targets.map((t) => [t.id, t.pass]),
    [
      ['ack-p99-2000', true],
      ['ack-p99-slow-handlers', true],
      ['refresh-no-wait', true],
      ['drop-no-loss', true],
      ['connector-vs-ceiling', true],
      ['worker-scaling', true],
    ],
  );
  const missed = withTargets({ steadyAckP99: 40, refreshWaited: 5, dropLost: 2 });
  const byId = Object.fromEntries(missed.targets.map((t) => [t.id, t]));
  assert.equal(byId['ack-p99-2000']!.pass, false);
  assert.match(byId['ack-p99-2000']!.why!, /CPU .*worker-1 40%/);
  assert.equal(byId['refresh-no-wait']!.measured, '5 waited, 0 redelivered, 0 lost');
  assert.equal(byId['drop-no-loss']!.pass, false);
  const md = renderMarkdown(missed, []);
  assert.match(md, /\| ack p99 ≤ 5 ms at 2,000 envelopes\/s \(Socketworks, end to end\) \| 40 ms \| \*\*missed\*\* \| /);
});

test("a missed target's why and the process table name the queues that backed up", () => {
  const r = sampleResult({ steadyAckP99: 40 });
  r.scenarios.find((s) => s.id === 'steady-2000')!.runs.socketworks!.queuePeaks = { events: { waiting: 11051, running: 540 }, sync: { waiting: 1657, running: 60 }, commands: { waiting: 0, running: 2 } };
  r.targets = evaluateTargets(r);
  assert.match(r.targets.find((t) => t.id === 'ack-p99-2000')!.why!, /; queues at their deepest: events 11,051 waiting \/ 540 running, sync 1,657 \/ 60$/);
  const md = renderMarkdown(r, []);
  assert.match(md, /\| Steady 2,000\/s \| Socketworks \| .* \| events 11,051 waiting \/ 540 running, sync 1,657 \/ 60 \|/);
  assert.match(md, /\| Steady 2,000\/s \| Bolt \(Socket Mode\) \| .* \| – \|/, 'Bolt has no queues');
});

test('worker scaling names the cores as the limit on a 2-core machine', () => {
  const md = renderMarkdown(withTargets(), []);
  assert.match(md, /\*\*The cores are the limit\*\*: this machine has 2 cores/);
  assert.match(md, /\| 4 \| 700 \| 44% \|/);
});

test('charts: a timeline per disruption scenario, the rate chart and the scaling chart, each linked from the report', () => {
  const r = withTargets();
  const charts = buildCharts(r);
  assert.deepEqual(charts.map((c) => c.name), ['ack-timeline-refresh.svg', 'ack-timeline-drop.svg', 'ack-p99-vs-rate.svg', 'worker-scaling.svg']);
  const refresh = charts[0]!.svg;
  assert.equal(refresh.split('<g class="series"').length - 1, 4, 'send→ack and inject→ack for both systems');
  assert.equal(refresh.split('class="marker"').length - 1, 1);
  const md = renderMarkdown(r, charts);
  for (const c of charts) assert.ok(md.includes(`](charts/${c.name})`));
});

test('the stored JSON drops timelines no chart uses, and names files by time', () => {
  const compact = compactResult(withTargets());
  assert.equal(compact.connectorOnly.steady[0]!.load.timeline.length, 0);
  assert.equal(compact.scenarios.find((s) => s.id === 'steady-2000')!.runs.socketworks!.load.timeline.length, 4);
  assert.equal(compact.scenarios.find((s) => s.id === 'refresh')!.runs.socketworks!.load.timeline.length, 4);
  assert.equal(timestampName('2026-01-01T10:20:30.456Z'), '2026-01-01T10-20-30Z');
});

test('the summary table has one row per scenario with both systems, plus the saturation points', () => {
  const md = renderMarkdown(withTargets(), []);
  const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Targets'));
  const rows = summary.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario'));
  assert.equal(rows.length, 5);
  assert.equal(rows[0], '| Steady 2,000/s | 3.00 | 40.0 | 9.00 | 9.00 | 0 / 0 / 0 / 0 | 0 / 0 / 0 / 0 |');
  assert.ok(rows[3]!.endsWith('| 0 / 12 / 0 / 0 |'), 'Bolt handled 12 twice in the drop scenario');
  assert.equal(rows[4], '| Saturation point (Socketworks) | 1,000/s |  |  |  |  |  |');
});

test('the ceiling names its limit: Redis at a core, the cores all busy, or the probes at a core each', () => {
  const run = (usage: Array<[string, number]>, machineBusyPct = usage.reduce((a, [, pct]) => a + pct, 0)) => ({ processes: usage.length - 1, producers: 64, added: 1, durationMs: 1, jobsPerSecond: 1, machineBusyPct, usage: usage.map(([name, cpuAvgPct]) => ({ name, pid: 1, cpuAvgPct, cpuPeakPct: cpuAvgPct, rssPeakMb: 1 })) });
  assert.match(ceilingLimit(run([['ceiling-1', 80], ['redis', 97]]), 2), /Redis's own limit/);
  assert.match(ceilingLimit(run([['ceiling-1', 70], ['ceiling-2', 70], ['redis', 60]]), 2), /machine was 200% busy of 200%: the cores were the limit, Redis \(60%\) shared them/);
  assert.match(ceilingLimit(run([['ceiling-1', 100], ['redis', 70]]), 4), /Every probe process was at a full core: the producers were the limit, Redis \(70%\) had room left/);
  assert.match(ceilingLimit(run([['ceiling-1', 40], ['redis', 30]]), 2), /No process was at a full core \(Redis 30%\) and the machine was 70% busy of 200%: the limit was the round trips/);
});

test("the ceiling target compares the connector's CPU per envelope with the probes' CPU per add", () => {
  const r = sampleResult();
  const sat = r.connectorOnly.saturation!;
  // The passing 8,000/s step: connector-1 at 90% of a core → 112.5 µs per envelope; the probe at
  // 100% for 20,000 adds/s → 50 µs per add.
  assert.equal(
    cpuPerEnvelopeNote(sat, r.ceiling.best!),
    "CPU per envelope: the connector 113 µs at 8000/s, the probes 50 µs per add (EXISTS + add, nothing else): the bare enqueue is 44% of the connector's cost, which one process pays on one core",
  );
  assert.equal(cpuPerEnvelopeNote({ ...sat, saturationRate: null }, r.ceiling.best!), '', 'no passing step, no figure');
});

test('workers behind the offered rate: the cores are named when the machine was CPU-bound, else the concurrency', () => {
  const r = sampleResult();
  const steady = r.scenarios.find((s) => s.id === 'steady-2000')!.runs.socketworks!;
  steady.load.throughput.answeredPerSecond = 1500;
  steady.machineBusyPct = 192;
  assert.match(concurrencyNote(r, steady), /machine 192% busy of 200%: the cores were the limit/);
  steady.machineBusyPct = 120;
  assert.match(concurrencyNote(r, steady), /with the default concurrency \(`events:32` × 2 workers = 64 jobs at once\).*concurrency, not CPU, was the limit/);
  r.config.workerQueues = 'events:100,sync:8';
  assert.match(concurrencyNote(r, steady), /with the `WORKER_QUEUES` given \(200 events jobs at once over 2 workers\)/);
  r.config.workerQueues = 'events:300;interactive:8,commands:8,sync:8';
  assert.match(concurrencyNote(r, steady), /with the `WORKER_QUEUES` given \(300 events jobs at once over 2 workers\)/, 'only the first worker serves events');
  r.config.workerQueues = 'sync:8';
  assert.equal(concurrencyNote(r, steady), '', 'no events slots to reason about when the workers serve no events');
  delete r.config.workerQueues;
  steady.load.throughput.answeredPerSecond = 2000;
  assert.equal(concurrencyNote(r, steady), '', 'nothing to say when they kept up');
});

test('--worker-queues is named in the header and in the sizing guide instead of the rule', () => {
  const r = sampleResult();
  assert.doesNotMatch(renderMarkdown(r, []), /--worker-queues/);
  assert.match(renderMarkdown(r, []), /the slow-handler scenario used this rule/);
  r.config.workerQueues = 'events:64,sync:150';
  const md = renderMarkdown(r, []);
  assert.match(md, /running the bundled example app with `WORKER_QUEUES=events:64,sync:150` \(given with --worker-queues: the comparison scenarios and saturation; worker scaling keeps the worker's default\)/);
  assert.match(md, /the slow-handler scenario used the `WORKER_QUEUES` given with --worker-queues instead/);
  r.config.workerQueues = 'events:64; interactive:32,commands:32,sync:32';
  assert.match(renderMarkdown(r, []), /with `WORKER_QUEUES` per worker \(worker-1 `events:64`, worker-2 `interactive:32,commands:32,sync:32`\)/);
});

test("the connectors' own ack figures stand next to the simulator's, in a section and in a missed ack target's why", () => {
  const r = sampleResult({ steadyAckP99: 40 });
  assert.doesNotMatch(renderMarkdown(r, []), /## Ack latency inside the connectors/, 'no section without the figures (Bolt, older results)');
  const steady = r.scenarios.find((s) => s.id === 'steady-2000')!.runs.socketworks!;
  steady.connectorAcks = [
    { awaited: false, count: 3800, p50LeMs: 0.5, p99LeMs: 5 },
    { awaited: true, count: 200, p50LeMs: 25, p99LeMs: 100 },
  ];
  const md = renderMarkdown(r, []);
  assert.match(md, /## Ack latency inside the connectors/);
  assert.match(md, /\| Steady 2,000\/s \| 40\.0 \/ – \/ – \| ≤ 0\.5 ms \/ ≤ 5 ms \(3,800\) \| ≤ 25 ms \/ ≤ 100 ms \(200\) \|/);
  const why = evaluateTargets(r).find((t) => t.id === 'ack-p99-2000')!.why!;
  assert.match(why, /inside the connectors \(frame handled → ack written, their own histogram\): after the enqueue p50 ≤ 0\.5 ms, p99 ≤ 5 ms \(3,800 acks\); waiting for a handler's ack\(\) p50 ≤ 25 ms, p99 ≤ 100 ms \(200 acks\)/);
  assert.doesNotMatch(md, /enqueue round trip/, 'results without the enqueue histogram have no such column');

  // With the enqueue round trip: a column of its own (– where a run has none) and a clause in the why.
  steady.connectorEnqueue = { count: 4000, p50LeMs: 0.25, p99LeMs: 2.5 };
  const withEnqueue = renderMarkdown(r, []);
  assert.match(withEnqueue, /\| inside the connectors, the enqueue round trip: p50 \/ p99 \(enqueues\) \|/);
  assert.match(withEnqueue, /\| Steady 2,000\/s \| 40\.0 \/ – \/ – \| ≤ 0\.5 ms \/ ≤ 5 ms \(3,800\) \| ≤ 25 ms \/ ≤ 100 ms \(200\) \| ≤ 0\.25 ms \/ ≤ 2\.5 ms \(4,000\) \|/);
  assert.match(
    evaluateTargets(r).find((t) => t.id === 'ack-p99-2000')!.why!,
    /\(200 acks\); the enqueue round trip inside them \(job sent → Redis confirmed it\) p50 ≤ 0\.25 ms, p99 ≤ 2\.5 ms \(4,000 enqueues\)/,
  );
});

test('worker scaling: answers per second of worker CPU, in the table and in a missed target\'s why', () => {
  const r = sampleResult();
  // The 13:54 UTC run's figures: 1 worker at 102% of a core, 2 at 79% each, 4 at ~41% each.
  r.scaling.points = [scalingAt(r, 1, 361, [102], 120), scalingAt(r, 2, 483, [79, 79], 195), scalingAt(r, 4, 444, [41, 41, 41, 41], 198)];
  r.targets = evaluateTargets(r);
  const scaling = r.targets.find((t) => t.id === 'worker-scaling')!;
  // Two workers are at the cores' limit with the cost per answer held (86%); four are not: 76%.
  assert.equal(scaling.pass, false);
  assert.match(scaling.why!, /^short of linear, and not explained by a limit alone: 4 workers 31% of linear with the cores at their limit \(machine 198% busy of 200%\), 76% of one worker's answers per CPU-second;/);
  assert.doesNotMatch(scaling.why!, /alone: 2 workers/);
  assert.match(scaling.why!, /; answers per second of worker CPU, by workers: 1: 354 \(100%\), 2: 306 \(86%\), 4: 271 \(76%\)$/);
  const md = renderMarkdown(r, []);
  assert.match(md, /\| 2 \| 483 \| 67% \| 306 \(86%\) \|/);
});

test('worker scaling: below linear only where the cores ran out, at the same cost per answer, is close to linear', () => {
  const r = sampleResult();
  // The 15:45 UTC run's figures.
  r.scaling.points = [scalingAt(r, 1, 371, [103], 122.1), scalingAt(r, 2, 583, [85, 86], 196.4), scalingAt(r, 4, 616, [43, 44, 44, 44], 199.6)];
  const scaling = evaluateTargets(r).find((t) => t.id === 'worker-scaling')!;
  assert.equal(scaling.pass, true);
  assert.equal(scaling.measured, '1: 371/s (100% of linear); 2: 583/s (79% of linear); 4: 616/s (42% of linear)');
  assert.match(scaling.why!, /^below linear only at a limit, where each second of worker CPU still answered ≥ 80% of one worker's: 2 workers 79% of linear with the cores at their limit \(machine 196\.4% busy of 200%\), 95% of one worker's answers per CPU-second; 4 workers 42% /);

  // The same throughput with the machine far from busy: the workers, not the cores, fell short.
  r.scaling.points[1] = { ...r.scaling.points[1]!, machineBusyPct: 120 };
  const idle = evaluateTargets(r).find((t) => t.id === 'worker-scaling')!;
  assert.equal(idle.pass, false);
  assert.match(idle.why!, /^short of linear, and not explained by a limit alone: 2 workers 79% of linear with no limit reached \(machine 120% busy\), 95% of one worker's answers per CPU-second/);

  // Redis at a full core is a limit too, judged the same way.
  r.scaling.points[1] = { ...r.scaling.points[1]!, usage: r.scaling.points[1]!.usage.map((u) => (u.name === 'redis' ? { ...u, cpuAvgPct: 97 } : u)) };
  const redis = evaluateTargets(r).find((t) => t.id === 'worker-scaling')!;
  assert.equal(redis.pass, true);
  assert.match(redis.why!, /2 workers 79% of linear with Redis at its limit \(97% of a core\)/);
});

test("a missed ceiling target's why reads as sentences: no doubled full stops", () => {
  const r = sampleResult();
  r.connectorOnly.saturation!.sustainedPerSecond = 8000; // 40% of the 20,000/s ceiling
  const why = evaluateTargets(r).find((t) => t.id === 'connector-vs-ceiling')!.why!;
  assert.match(why, /the limit was|the cores were the limit|Redis's own limit|the producers were the limit/);
  assert.doesNotMatch(why, /\.\./);
});
