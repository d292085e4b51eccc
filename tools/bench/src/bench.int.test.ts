// The harness end to end on the tiny plan: a few hundred envelopes against both systems (real
// simulator, connector, worker and Bolt processes, a private redis-server), one connector alone
// and a short enqueue ceiling. Needs the built package (npx nx run bench:test builds it first).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '@socketworks/testing';
import { Bench } from './bench';
import type { LoadResult } from './load-types';
import { writeOutputs } from './output';
import { TINY_PLAN } from './plan';
import { pidAlive } from './processes';
import type { BenchResult, SystemRun } from './result-types';

const LOAD_KEYS = [
  'spec',
  'startedAt',
  'endedAt',
  'injected',
  'injectMs',
  'injectRate',
  'frames',
  'envelopes',
  'ackLatencyMs',
  'injectToAckMs',
  'answerLatencyMs',
  'ackLatencyByTypeMs',
  'answerWindow',
  'throughput',
  'settled',
  'settleMs',
  'timeline',
  'markers',
  'socketsOpened',
  'openSocketsAtEnd',
  'simEventLoopMs',
] as const;

function checkLoad(load: LoadResult, where: string, expectAnswers: boolean): void {
  for (const key of LOAD_KEYS) assert.ok(key in load, `${where}: load.${key}`);
  const f = load.frames;
  assert.equal(f.sent, f.acked + f.unacked, `${where}: frames sent = acked + unacked`);
  const e = load.envelopes;
  assert.equal(e.injected, load.spec.count, `${where}: every planned envelope injected`);
  assert.ok(f.sent >= e.injected, `${where}: every envelope sent at least once`);
  assert.ok(e.acked + e.lost <= e.injected, `${where}: acked + lost ≤ injected`);
  // Few hundred envelopes on loopback: everything is acked, and answered where answers are expected.
  assert.equal(e.acked, e.injected, `${where}: all acked`);
  assert.equal(e.lost, 0, `${where}: none lost`);
  assert.equal(e.undelivered, 0, `${where}: all delivered`);
  assert.equal(e.answered, expectAnswers ? e.injected : 0, `${where}: answered`);
  assert.equal(e.handledTwice, 0, `${where}: none handled twice`);
  assert.equal(load.ackLatencyMs.count, f.acked, `${where}: one latency per acked frame`);
  for (const s of [load.ackLatencyMs, load.injectToAckMs]) assert.ok(s.p50 > 0 && s.p50 <= s.p99 && s.p99 <= s.max, `${where}: p50 ≤ p99 ≤ max`);
  if (expectAnswers) assert.ok(load.answerLatencyMs.p50 > 0, `${where}: answer latency measured`);
  assert.ok(load.throughput.ackedPerSecond > 0, `${where}: throughput`);
}

function checkRun(run: SystemRun | undefined, where: string, expectAnswers: boolean, ownProcess: RegExp): void {
  assert.ok(run, `${where}: ran`);
  assert.ok(run.sockets >= 1, `${where}: sockets`);
  checkLoad(run.load, where, expectAnswers);
  const names = run.usage.map((u) => u.name);
  assert.ok(names.includes('sim'), `${where}: simulator sampled (${names.join(', ')})`);
  assert.ok(names.includes('redis'), `${where}: redis sampled`);
  assert.ok(names.some((n) => ownProcess.test(n)), `${where}: the system's processes sampled (${names.join(', ')})`);
  for (const u of run.usage) assert.ok(u.rssPeakMb > 0 && u.cpuAvgPct >= 0, `${where}: ${u.name} usage`);
  assert.ok('sim' in run.eventLoopMs, `${where}: simulator event loop`);
  if (run.system === 'bolt') {
    assert.equal(run.connectorAcks, undefined, `${where}: no connector, no connector figures`);
  } else {
    assert.ok(run.connectorAcks && run.connectorAcks.length > 0, `${where}: the connectors' own ack figures`);
    const counted = run.connectorAcks.reduce((n, a) => n + a.count, 0);
    const f = run.load.frames;
    if (f.unacked === 0 && f.duplicateAcks === 0) assert.equal(counted, f.acked, `${where}: the connectors counted exactly the acks the simulator received in the load`);
    // Every ack followed one successful enqueue (a redelivery's enqueue finds its job and is timed too).
    const enqueued = run.connectorEnqueue?.count ?? 0;
    if (f.unacked === 0 && f.duplicateAcks === 0 && f.redelivered === 0) assert.equal(enqueued, counted, `${where}: one enqueue round trip timed per ack`);
    else assert.ok(enqueued >= counted, `${where}: an enqueue round trip timed for every ack`);
  }
}

test('a tiny run against both systems writes a complete JSON whose counts add up, and leaves no process behind', async () => {
  const out = await mkdtemp(join(tmpdir(), 'bench-int-'));
  const lines: string[] = [];
  const bench = new Bench({ plan: TINY_PLAN, command: 'npm run bench -- --plan tiny', log: (l) => lines.push(l) });
  try {
    const result = await bench.run();
    result.processes = bench.startedProcesses();
    const files = await writeOutputs(result, out);
    assert.deepEqual(result.failures, [], `no scenario failed:\n${lines.join('\n')}`);

    const written: BenchResult = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8'));
    assert.ok(files.some((f) => /\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/.test(f)), 'a timestamped JSON next to latest.json');
    for (const key of ['version', 'startedAt', 'finishedAt', 'wallMs', 'command', 'quick', 'runCount', 'machine', 'code', 'config', 'ceiling', 'connectorOnly', 'scenarios', 'saturation', 'scaling', 'targets', 'otherLoadPct', 'processes', 'failures']) {
      assert.ok(key in written, `result.${key}`);
    }
    for (const key of ['nproc', 'cpuModel', 'memoryGb', 'node', 'redis', 'os', 'loadAverageAtStart']) assert.ok(key in written.machine, `machine.${key}`);
    assert.ok(written.machine.nproc >= 1 && /^v\d+/.test(written.machine.node) && /^\d+\./.test(written.machine.redis));
    if (existsSync(join(REPO_ROOT, '.git'))) assert.match(written.code?.commit ?? '', /^[0-9a-f]{40}$/, 'the commit measured');

    const steady = written.scenarios.find((s) => s.id === 'steady-200');
    assert.ok(steady, 'the steady scenario');
    checkRun(steady.runs.socketworks, 'socketworks', true, /^(connector|worker)-\d/);
    checkRun(steady.runs.bolt, 'bolt', true, /^bolt$/);
    assert.ok(steady.runs.socketworks!.usage.some((u) => u.name.startsWith('worker-')), 'workers sampled');
    checkRun(written.connectorOnly.steady[0], 'connector alone', false, /^connector-1$/);

    assert.ok(written.ceiling.best && written.ceiling.best.jobsPerSecond > 0, 'enqueue ceiling measured');
    assert.equal(written.targets.length, 6, 'every target listed (judged or not)');

    const md = await readFile(join(out, 'latest.md'), 'utf8');
    assert.match(md, /^# Socketworks benchmark/);
    assert.match(md, /\| Machine \| \d+ cores \(`nproc`\)/);
    assert.match(md, /\| Command \| `npm run bench -- --plan tiny` \|/);
    assert.match(md, /\| Steady 200\/s \| Socketworks \| 300 \/ 300 \/ 0 \| 300 \/ 300 \/ 300 \| 0 \|/);
    assert.match(md, /\| Steady 200\/s \| Bolt \(Socket Mode\) \| 300 \/ 300 \/ 0 \| 300 \/ 300 \/ 300 \| 0 \|/);

    // Every process the run started is gone: simulators, connectors, workers, Bolt, the ceiling probe, redis-server.
    const names = new Set(result.processes.map((p) => p.name.replace(/-\d+$/, '')));
    for (const n of ['sim', 'connector', 'worker', 'bolt', 'ceiling', 'redis']) assert.ok(names.has(n), `${n} was started and recorded`);
    const alive = result.processes.filter((p) => pidAlive(p.pid));
    assert.deepEqual(alive, [], 'no process left running');
    assert.deepEqual((await readdir(join(out, 'charts'))).filter((f) => f.endsWith('.svg')), [], 'no chart without data');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
