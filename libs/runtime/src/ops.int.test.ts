import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTestRedisUrl, JsonLineCollector } from '@socketworks/testing';
import { Counter, createMetricsRegistry } from './metrics';
import { startOpsServer } from './ops-server';
import { checkRedis, createRedisConnection } from './redis';
import { createLogger } from './logger';

function captureLogger() {
  const collector = new JsonLineCollector();
  return { lines: collector.lines, logger: createLogger({ name: 't', destination: collector.writable() }) };
}

test('ops server answers health, readiness and metrics', async () => {
  const { logger } = captureLogger();
  const registry = createMetricsRegistry('test');
  const counter = new Counter({ name: 'socketworks_test_things_total', help: 'things', registers: [registry] });
  counter.inc(3);
  let ready = false;
  const ops = await startOpsServer({ port: 0, host: '127.0.0.1', registry, logger, readiness: () => ({ ready, details: { redis: ready } }) });
  try {
    const base = `http://127.0.0.1:${ops.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), { ready: false, redis: false });
    ready = true;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /socketworks_test_things_total\{service="test"\} 3/);
    assert.match(metrics, /socketworks_process_resident_memory_bytes/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await ops.close();
  }
});

test('checkRedis reads the version and warns when keys can be evicted', async () => {
  const { lines, logger } = captureLogger();
  const redis = createRedisConnection(await getTestRedisUrl(), { role: 'command', name: 'check', logger });
  const before = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1]!;
  try {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const facts = await checkRedis(redis, logger);
    assert.match(facts.version, /^\d+\./);
    assert.equal(facts.maxmemoryPolicy, 'allkeys-lru');
    const warning = lines.find((l) => l.level === 'warn');
    assert.ok(warning, 'a warning was logged');
    assert.match(String(warning.msg), /noeviction/);
  } finally {
    await redis.config('SET', 'maxmemory-policy', before);
    await redis.quit();
  }
});
