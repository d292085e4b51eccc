import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slowHandlerQueues } from './bench';
import { parseArgs } from './main';
import { countFor, FULL_PLAN, QUICK_PLAN, restrictPlan } from './plan';

test('the full plan has every scenario of the brief; quick keeps each comparison shorter', () => {
  assert.deepEqual(FULL_PLAN.steady.map((s) => s.rate), [500, 2000]);
  assert.deepEqual(FULL_PLAN.saturationRates, [1000, 2000, 3000, 4000, 6000, 8000]);
  assert.equal(FULL_PLAN.slow?.delayMs, 200);
  assert.equal(FULL_PLAN.refresh?.everyMs, 3000);
  assert.equal(FULL_PLAN.drop?.everyMs, 5000);
  assert.equal(FULL_PLAN.burst?.count, 10000);
  assert.deepEqual(FULL_PLAN.scaling?.workers, [1, 2, 4]);
  assert.ok(QUICK_PLAN.refresh && QUICK_PLAN.refresh.seconds * 1000 > QUICK_PLAN.refresh.everyMs, 'quick still sees a refresh');
  assert.ok(QUICK_PLAN.drop && QUICK_PLAN.drop.seconds * 1000 > QUICK_PLAN.drop.everyMs, 'quick still sees a drop');
  assert.equal(countFor(2000, 1.5), 3000);
});

test('--only keeps the named parts and empties the rest; unknown parts are refused', () => {
  const p = restrictPlan(FULL_PLAN, ['steady', 'drop']);
  assert.equal(p.steady.length, 2);
  assert.ok(p.drop);
  assert.equal(p.refresh, null);
  assert.equal(p.ceiling, null);
  assert.deepEqual(p.saturationRates, []);
  assert.deepEqual(p.connector.steady, []);
  assert.throws(() => restrictPlan(FULL_PLAN, ['nope']), /unknown part nope/);
});

test('command line: --quick, options with values, the command echoed for the report', () => {
  const cli = parseArgs(['--quick', '--workers', '3', '--systems', 'bolt', '--out', '/tmp/x']);
  assert.equal(cli.bench.plan.name, 'quick');
  assert.equal(cli.bench.workers, 3);
  assert.deepEqual(cli.bench.systems, ['bolt']);
  assert.equal(cli.outDir, '/tmp/x');
  assert.equal(cli.bench.command, 'npm run bench -- --quick --workers 3 --systems bolt --out /tmp/x');
  assert.equal(parseArgs([]).bench.command, 'npm run bench');
  assert.throws(() => parseArgs(['--workers', '0']), /--workers must be a whole number/);
  assert.equal(parseArgs(['--worker-nice', '10']).bench.workerNice, 10);
  assert.equal(parseArgs([]).bench.workerNice, undefined, "the worker's default (0) applies");
  assert.throws(() => parseArgs(['--worker-nice', '20']), /--worker-nice must be a whole number from 0 to 19/);
  assert.equal(parseArgs(['--worker-queues', 'events:64,interactive,commands,sync:150']).bench.workerQueues, 'events:64,interactive,commands,sync:150');
  assert.equal(parseArgs([]).bench.workerQueues, undefined, "the worker's default, and the sizing rule for slow handlers");
  assert.throws(() => parseArgs(['--worker-queues', 'events:64,jobs:2']), /--worker-queues: entry 2: must be a queue name/);
  assert.throws(() => parseArgs(['--worker-queues', 'events,interactive,commands,sync:0']), /--worker-queues: entry 4: concurrency must be between 1 and 1000/);
  assert.throws(() => parseArgs(['--worker-queues', 'events:64,interactive,commands']), /--worker-queues: no worker serves sync/);
  const split = parseArgs(['--worker-queues', 'events:540;interactive:60,commands:60,sync:60']);
  assert.equal(split.bench.workerQueues, 'events:540;interactive:60,commands:60,sync:60');
  assert.equal(split.bench.command, "npm run bench -- --worker-queues 'events:540;interactive:60,commands:60,sync:60'", 'the echoed command can be pasted into a shell');
  assert.throws(() => parseArgs(['--worker-queues', 'events;sync;interactive,commands']), /3 values for 2 workers/);
  assert.doesNotThrow(() => parseArgs(['--workers', '3', '--worker-queues', 'events;sync;interactive,commands']));
  assert.throws(() => parseArgs(['--worker-queues', 'events;bogus']), /worker 2: entry 1: must be a queue name/);
  assert.equal(parseArgs(['--repeat', '3']).bench.repeat, 3);
  assert.equal(parseArgs([]).bench.repeat, undefined, 'one run per scenario by default');
  assert.throws(() => parseArgs(['--repeat', '0']), /--repeat must be a whole number ≥ 1/);
  assert.throws(() => parseArgs(['--repeat', '11']), /--repeat must be at most 10/);
  assert.throws(() => parseArgs(['--bogus']), /unknown option --bogus/);
  assert.throws(() => parseArgs(['--systems', 'slack']), /unknown system slack/);
});

test('slow-handler concurrency: rate share × handler time ÷ workers, +50%, at least 16', () => {
  assert.equal(slowHandlerQueues(2000, 200, 2), 'events:270,interactive:30,commands:30,sync:30');
  assert.equal(slowHandlerQueues(100, 200, 2), 'events:16,interactive:16,commands:16,sync:16');
});
