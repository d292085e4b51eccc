// The slot bus across a Redis restart: it subscribes again by itself once the connection is back
// (the connection has ioredis' autoResubscribe off; libs/runtime's Subscription, whose unit tests
// cover a resubscription that fails).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRedisConnection, createSubscriberConnection, type RedisClient } from '@socketworks/runtime';
import { startPrivateRedis, uniquePrefix, waitFor, type PrivateRedis } from '@socketworks/testing';
import { captureLogs } from '../test-support/log-capture';
import { SlotBus, type ControlMessage } from './slot-bus';
import { slotKeys } from './slot-keys';

let redis: PrivateRedis;

before(async () => {
  redis = await startPrivateRedis();
});

after(async () => {
  await redis?.stop();
});

function bus(name: string): { bus: SlotBus; subscriber: RedisClient; publisher: RedisClient } {
  const { logger } = captureLogs();
  const subscriber = createSubscriberConnection(redis.url, { name: `${name}-sub`, logger });
  const publisher = createRedisConnection(redis.url, { role: 'command', name: `${name}-pub`, logger });
  return { bus: new SlotBus({ subscriber, publisher, keys: slotKeys(uniquePrefix(name)), replicaId: name, logger }), subscriber, publisher };
}

test('after Redis comes back the bus subscribes again by itself: control messages arrive again', { timeout: 30000 }, async () => {
  const { bus: b, subscriber, publisher } = bus('resub');
  const heard: ControlMessage[] = [];
  b.on('control', (m) => heard.push(m));
  try {
    await b.start();
    await redis.stop();
    const ready = once(subscriber, 'ready');
    await redis.start();
    await ready;
    await waitFor(
      async () => {
        await b.publishControl({ type: 'released', slot: 1, from: 'other' });
        return heard.length > 0;
      },
      { timeoutMs: 10000, message: 'a control message after the restart' },
    );
    assert.deepEqual(heard[0], { type: 'released', slot: 1, from: 'other' });
  } finally {
    await b.close();
    publisher.disconnect();
  }
});
