import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setImmediate as turn } from 'node:timers/promises';
import { JsonLineCollector } from '@socketworks/testing';
import { createLogger } from './logger';
import type { RedisClient } from './redis';
import { Subscription } from './subscription';

/**
 * What a subscription uses of its connection, scripted: each SUBSCRIBE waits until the test
 * answers it (`answer()` / `fail()`), as a real one waits for Redis.
 */
class FakeConnection extends EventEmitter {
  status = 'ready';
  subscribes: string[][] = [];
  disconnected = false;
  quitFails = false;
  private pending: Array<{ resolve: (n: number) => void; reject: (err: Error) => void }> = [];

  subscribe(...channels: string[]): Promise<number> {
    this.subscribes.push(channels);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  answer(): void {
    this.pending.shift()!.resolve(1);
  }

  fail(message: string): void {
    this.pending.shift()!.reject(new Error(message));
  }

  quit(): Promise<string> {
    return this.quitFails ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve('OK');
  }

  disconnect(): void {
    this.disconnected = true;
  }

  /** A reconnect as ioredis reports it: 'close', then 'ready' on the new connection. */
  reconnect(): void {
    this.status = 'reconnecting';
    this.emit('close');
    this.status = 'ready';
    this.emit('ready');
  }
}

function setup() {
  const redis = new FakeConnection();
  const collector = new JsonLineCollector();
  const logger = createLogger({ name: 'test', level: 'info', destination: collector.writable() });
  const heard: Array<[string, string]> = [];
  const subscription = new Subscription({
    redis: redis as unknown as RedisClient,
    channels: ['a', 'b'],
    onMessage: (channel, message) => heard.push([channel, message]),
    logger,
    name: 'test bus',
  });
  return { redis, subscription, heard, lines: collector.lines };
}

test('the first ready while the first SUBSCRIBE is still waiting sends no second one', async () => {
  const { redis, subscription } = setup();
  redis.status = 'connecting';
  const started = subscription.start();
  redis.status = 'ready';
  redis.emit('ready');
  redis.answer();
  await started;
  assert.deepEqual(redis.subscribes, [['a', 'b']]);
  assert.equal(subscription.active, true);
});

test('after a reconnect it subscribes again by itself; only its own channels reach onMessage', async () => {
  const { redis, subscription, heard } = setup();
  assert.equal(subscription.active, false, 'not before start()');
  const started = subscription.start();
  redis.answer();
  await started;
  redis.reconnect();
  assert.equal(subscription.active, false, 'lost with the connection until the SUBSCRIBE is answered');
  assert.equal(redis.subscribes.length, 2);
  redis.answer();
  await turn();
  assert.equal(subscription.active, true);
  redis.emit('message', 'a', 'one');
  redis.emit('message', 'elsewhere', 'two');
  redis.emit('message', 'b', 'three');
  assert.deepEqual(heard, [
    ['a', 'one'],
    ['b', 'three'],
  ]);
});

test('a SUBSCRIBE that fails after a reconnect is logged, not left unhandled; the next reconnect tries again', async () => {
  const { redis, subscription, lines } = setup();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const started = subscription.start();
    redis.answer();
    await started;
    redis.reconnect();
    redis.fail('Connection is closed.');
    await turn();
    await turn();
    assert.deepEqual(unhandled, []);
    const warned = lines.filter((l) => l.msg === 'test bus: could not subscribe again after a reconnect');
    assert.equal(warned.length, 1);
    assert.equal(subscription.active, false);
    redis.reconnect();
    redis.answer();
    await turn();
    assert.equal(subscription.active, true);
    assert.equal(redis.subscribes.length, 3);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('start() rejects when the first SUBSCRIBE fails', async () => {
  const { redis, subscription } = setup();
  const started = subscription.start();
  redis.fail('NOAUTH Authentication required.');
  await assert.rejects(started, /NOAUTH/);
  assert.equal(subscription.active, false);
});

test('once closed it never subscribes again; a QUIT that fails drops the socket', async () => {
  const { redis, subscription, lines } = setup();
  const started = subscription.start();
  redis.answer();
  await started;
  redis.quitFails = true;
  await subscription.close();
  await subscription.close(); // idempotent
  assert.equal(redis.disconnected, true);
  assert.equal(lines.filter((l) => l.msg === 'redis quit failed: disconnecting').length, 1);
  assert.equal(subscription.active, false);
  redis.reconnect();
  assert.equal(redis.subscribes.length, 1);
});

test('a ready before start() subscribes to nothing', () => {
  const { redis } = setup();
  redis.emit('ready');
  assert.deepEqual(redis.subscribes, []);
});
