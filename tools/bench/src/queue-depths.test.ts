import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { getTestRedisUrl, uniquePrefix } from '@socketworks/testing';
import { QueueDepthSampler, queuePeaksText } from './queue-depths';

let redis: Redis;

before(async () => {
  redis = new Redis(await getTestRedisUrl());
});

after(async () => {
  await redis.quit();
});

test("the sampler keeps each queue's deepest sample: wait list + prioritized set waiting, the active list running", async () => {
  const prefix = uniquePrefix('depths');
  const key = (queue: string, part: string) => `{${prefix}}:${queue}:${part}`;
  const sampler = new QueueDepthSampler(redis, prefix, 20);
  sampler.start();
  try {
    await redis.rpush(key('events', 'wait'), 'a', 'b', 'c');
    await redis.rpush(key('events', 'active'), 'd');
    await redis.rpush(key('sync', 'wait'), 'e');
    await redis.zadd(key('sync', 'prioritized'), 1, 'f', 1, 'g');
    await new Promise((resolve) => setTimeout(resolve, 120));
    // Drained again: the peaks stay.
    await redis.del(key('events', 'wait'), key('events', 'active'), key('sync', 'wait'), key('sync', 'prioritized'));
    await new Promise((resolve) => setTimeout(resolve, 60));
  } finally {
    const peaks = await sampler.stop();
    assert.deepEqual(peaks, { events: { waiting: 3, running: 1 }, sync: { waiting: 3, running: 0 } }, 'queues with no job at all are left out');
  }
});

test('queuePeaksText: the queues where jobs waited, deepest first; nothing when none waited', () => {
  assert.equal(
    queuePeaksText({ sync: { waiting: 1657, running: 60 }, events: { waiting: 11051, running: 540 }, commands: { waiting: 0, running: 3 } }),
    'events 11,051 waiting / 540 running, sync 1,657 / 60',
  );
  assert.equal(queuePeaksText({ events: { waiting: 0, running: 12 } }), '');
  assert.equal(queuePeaksText(undefined), '');
});
