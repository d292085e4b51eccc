import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { resolveTestRedisUrl, spawnService, startPrivateRedis, waitFor } from './index';
import { freePort } from './ports';

test('waitFor returns the first truthy value and times out with the reason', async () => {
  let n = 0;
  assert.equal(await waitFor(() => (++n >= 3 ? n : 0), { intervalMs: 1 }), 3);
  await assert.rejects(waitFor(() => false, { timeoutMs: 50, message: 'never' }), /timed out after 50 ms waiting for never/);
});

test('spawnService parses JSON log lines and reports the exit code of a signalled stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-testing-'));
  const entry = join(dir, 'svc.js');
  writeFileSync(
    entry,
    `console.log(JSON.stringify({ msg: 'ready', n: Number(process.env.N) })); console.log('plain text');
     process.on('SIGTERM', () => { console.log(JSON.stringify({ msg: 'bye' })); process.exit(0); });
     setInterval(() => {}, 1000);`,
  );
  const svc = spawnService({ name: 'svc', entry, env: { N: '7' } });
  const ready = await svc.waitForLog((l) => l.msg === 'ready');
  assert.equal(ready.n, 7);
  await svc.waitForLog((l) => l.msg === 'plain text');
  assert.equal(await svc.stop('SIGTERM'), 0);
  assert.ok(svc.exited());
  assert.ok(svc.logs.some((l) => l.msg === 'bye'));
});

test('a private redis-server stops and starts on the same port', async () => {
  const redis = await startPrivateRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  try {
    assert.equal(await client.ping(), 'PONG');
    await redis.stop();
    await assert.rejects(client.ping());
    await redis.start();
    assert.equal(await waitFor(() => client.ping().catch(() => undefined)), 'PONG');
  } finally {
    client.disconnect();
    await redis.stop();
  }
});

test("the tests' Redis: REDIS_URL when set, else the default URL when a Redis answers there, else a container", async () => {
  const redis = await startPrivateRedis();
  let containers = 0;
  const startContainer = () => {
    containers += 1;
    return Promise.resolve('redis://container:6379');
  };
  try {
    assert.equal(await resolveTestRedisUrl({ env: { REDIS_URL: 'redis://given:1' }, defaultUrl: redis.url, startContainer }), 'redis://given:1');
    assert.equal(await resolveTestRedisUrl({ env: {}, defaultUrl: redis.url, startContainer }), redis.url);
    assert.equal(containers, 0);
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    assert.equal(await resolveTestRedisUrl({ env: { REDIS_URL: '' }, defaultUrl: nobody, startContainer }), 'redis://container:6379');
    assert.equal(containers, 1);
  } finally {
    await redis.stop();
  }
});
