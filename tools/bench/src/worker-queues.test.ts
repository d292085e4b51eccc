import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerEnvAt } from './systems';
import { totalConcurrency, workerQueueSpecs, workerQueuesProblems } from './worker-queues';

test('one WORKER_QUEUES for every worker, or one per worker taken in turn', () => {
  assert.deepEqual(workerQueueSpecs(' events:64 ; interactive:32,commands:32,sync:32 ;'), ['events:64', 'interactive:32,commands:32,sync:32']);
  const perWorkerEnv = workerQueueSpecs('events:540;sync:60,interactive,commands').map((q) => ({ WORKER_QUEUES: q }));
  assert.deepEqual([0, 1, 2, 3].map((k) => workerEnvAt({ perWorkerEnv }, k).WORKER_QUEUES), ['events:540', 'sync:60,interactive,commands', 'events:540', 'sync:60,interactive,commands']);
  assert.deepEqual(workerEnvAt({}, 3), {}, 'nothing given: every worker uses its default');
  assert.deepEqual(workerEnvAt({ perWorkerEnv: undefined }, 0), {});
});

test('the events slots of a layout add up over the workers that serve events', () => {
  assert.equal(totalConcurrency('events:64,sync:8', 'events', 2), 128);
  assert.equal(totalConcurrency('events:540;interactive:60,commands:60,sync:60', 'events', 2), 540);
  assert.equal(totalConcurrency('events:540;interactive:60,commands:60,sync:60', 'sync', 2), 60);
  assert.equal(totalConcurrency('sync:8', 'events', 2), 0);
});

test('a layout that leaves a queue without a worker, or gives the wrong number of values, is refused', () => {
  assert.deepEqual(workerQueuesProblems('events;interactive,commands,sync', 2), []);
  assert.deepEqual(workerQueuesProblems('events,interactive,commands', 2), ['no worker serves sync: the load has envelopes for every queue']);
  assert.deepEqual(workerQueuesProblems('events;sync;interactive,commands', 2), ['3 values for 2 workers: give one value, or one per worker (--workers)']);
  assert.deepEqual(workerQueuesProblems(' ; ', 2), ['give a value such as events:64,sync:32']);
});
