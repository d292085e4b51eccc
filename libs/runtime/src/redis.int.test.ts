import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { getTestRedisUrl } from '@socketworks/testing';
import { createRedisConnection, deleteIfValue } from './redis';

const logger = pino({ level: 'silent' });

test('coalesceWrites: the commands of one turn wait corked and all answer; without it nothing is corked', async () => {
  const url = await getTestRedisUrl();
  for (const coalesceWrites of [true, false]) {
    const redis = createRedisConnection(url, { role: 'command', name: 'coalesce-test', logger, coalesceWrites }) as Redis;
    try {
      if (redis.status !== 'ready') await once(redis, 'ready');
      const key = `socketworks-test:coalesce:${process.pid}:${String(coalesceWrites)}`;
      const replies = Array.from({ length: 50 }, (_, i) => redis.incrby(key, i + 1));
      assert.equal(redis.stream.writableCorked > 0, coalesceWrites, `corked while the turn runs: ${String(coalesceWrites)}`);
      const values = await Promise.all(replies);
      assert.deepEqual(values, Array.from({ length: 50 }, (_, i) => ((i + 1) * (i + 2)) / 2), 'every command ran, in order');
      assert.equal(redis.stream.writableCorked, 0, 'uncorked once the turn is over');
      await redis.del(key);
    } finally {
      await redis.quit();
    }
  }
});

test('deleteIfValue deletes a key only while it holds the given value', async () => {
  const redis = createRedisConnection(await getTestRedisUrl(), { role: 'command', name: 'delete-if-test', logger }) as Redis;
  try {
    if (redis.status !== 'ready') await once(redis, 'ready');
    const key = `socketworks-test:delete-if:${process.pid}`;
    await redis.set(key, 'theirs');
    assert.equal(await deleteIfValue(redis, key, 'ours'), false);
    assert.equal(await redis.get(key), 'theirs', 'another value is left alone');
    assert.equal(await deleteIfValue(redis, key, 'theirs'), true);
    assert.equal(await redis.exists(key), 0);
    assert.equal(await deleteIfValue(redis, key, 'theirs'), false, 'nothing to delete');
  } finally {
    await redis.quit();
  }
});

test('coalesceWrites leaves a cluster client as it is (it writes to a socket per node)', () => {
  const cluster = createRedisConnection('redis://127.0.0.1:1', { role: 'command', name: 'coalesce-cluster', logger, cluster: true, coalesceWrites: true, overrides: { lazyConnect: true } });
  try {
    assert.equal(Object.hasOwn(cluster, 'sendCommand'), false, 'sendCommand not wrapped');
  } finally {
    cluster.disconnect();
  }
});
