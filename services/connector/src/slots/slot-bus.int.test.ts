// The slot bus across a Redis restart: it subscribes again by itself once the connection is back
// (the connection has ioredis' autoResubscribe off), and a resubscription that fails is caught —
// ioredis' own left an unhandled rejection when the connection closed while it was in flight.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createRedisConnection, type RedisClient } from '@socketworks/runtime';
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
  const subscriber = createRedisConnection(redis.url, { role: 'blocking', name: `${name}-sub`, logger, overrides: { autoResubscribe: false } });
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

test('a resubscription that fails (the connection dropped again, or closed) is caught and logged, not left unhandled', async () => {
  const logs = captureLogs();
  let calls = 0;
  // Only what the bus uses of its subscriber: the second SUBSCRIBE (after a reconnect) fails.
  const subscriber = Object.assign(new EventEmitter(), {
    subscribe: () => (++calls === 1 ? Promise.resolve(3) : Promise.reject(new Error('Connection is closed.'))),
    quit: () => Promise.resolve('OK'),
  }) as unknown as RedisClient;
  const b = new SlotBus({ subscriber, publisher: subscriber, keys: slotKeys(uniquePrefix('fake')), replicaId: 'fake', logger: logs.logger });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await b.start();
    subscriber.emit('ready');
    await waitFor(() => logs.find((l) => l.msg === 'slot bus: could not subscribe again after a reconnect').length === 1, { message: 'the warning' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(calls, 2, 'subscribed again on ready');
    assert.deepEqual(unhandled, []);
    await b.close();
    subscriber.emit('ready');
    assert.equal(calls, 2, 'a closed bus does not subscribe again');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
