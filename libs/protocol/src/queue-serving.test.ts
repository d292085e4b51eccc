import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_QUEUE_CONCURRENCY, parseQueueServing } from './queue-serving';

test('WORKER_QUEUES values: queues in the order given, spaces ignored, a bare name gets the default concurrency', () => {
  assert.deepEqual(parseQueueServing(' sync:4 , events ,interactive:1000'), {
    queues: [
      { name: 'sync', concurrency: 4 },
      { name: 'events', concurrency: DEFAULT_QUEUE_CONCURRENCY },
      { name: 'interactive', concurrency: 1000 },
    ],
    problems: [],
  });
});

test('WORKER_QUEUES problems name the entry by position: unknown queue, not a number, out of range, listed twice', () => {
  const problems = (value: string) => parseQueueServing(value).problems;
  assert.deepEqual(problems('events,mystery:2'), ['entry 2: must be a queue name (events, interactive, commands, sync), optionally :concurrency']);
  assert.deepEqual(problems('events:many'), ['entry 1: concurrency must be a whole number']);
  assert.deepEqual(problems('events:1:2'), ['entry 1: concurrency must be a whole number']);
  assert.deepEqual(problems('events:0,sync:1001'), ['entry 1: concurrency must be between 1 and 1000', 'entry 2: concurrency must be between 1 and 1000']);
  assert.deepEqual(problems('events:1,events:2'), ['entry 2: a queue is listed twice']);
  assert.deepEqual(problems(''), ['entry 1: must be a queue name (events, interactive, commands, sync), optionally :concurrency']);
});
