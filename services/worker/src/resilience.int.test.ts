// The worker process under operations that happen in production: SIGTERM in the middle of a
// busy queue (every running job finishes, nothing is left locked for another worker to wait on),
// and a Redis restart (the same process carries on once Redis is back; it never gives up).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { SlackSim } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, opsPort, startPrivateRedis, startWorkerProcess, uniquePrefix, waitFor, type ServiceProcess } from '@socketworks/testing';
import { countByText, mentionJob, testQueue, writeApp } from './test-support';

const TOKEN = 'xoxb-0000000001-0000000001-resilienceresilience';
let redisUrl: string;
let sim: SlackSim;
let dir: string;
let appFile: string;
const prefixes: string[] = [];
const processes: ServiceProcess[] = [];

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  dir = await mkdtemp(join(tmpdir(), 'worker-resilience-'));
  appFile = await writeApp(dir);
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  for (const p of prefixes) await deleteKeys(redisUrl, `{${p}}*`);
});

async function worker(name: string, url: string, prefix: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const proc = await startWorkerProcess({
    name,
    redisUrl: url,
    queuePrefix: prefix,
    slackApiUrl: sim.apiUrl,
    env: { SLACK_BOT_TOKEN: TOKEN, APP_MODULE: appFile, METRICS_HOST: '127.0.0.1', ...env },
  });
  processes.push(proc);
  return proc;
}

test('SIGTERM under load: running jobs finish, the process exits 0, nothing is left locked; a second worker takes the rest', async () => {
  const prefix = uniquePrefix('sigterm');
  prefixes.push(prefix);
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = testQueue('events', connection, prefix, (err) => assert.fail(`queue error: ${err.message}`));
  try {
    const first = await worker('worker-a', redisUrl, prefix, { WORKER_QUEUES: 'events:8', TEST_APP_LINGER_MS: '250' });
    const texts = Array.from({ length: 100 }, (_, i) => `<@U0000002> drain ${i} ${prefix}`);
    await queue.addBulk(texts.map((t) => mentionJob(t)));
    await waitFor(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 16, { timeoutMs: 20_000, message: '16 completed jobs' });
    const active = (await queue.getJobCounts('active')).active ?? 0;
    assert.ok(active > 0, 'jobs were running when SIGTERM arrived');

    const sigtermAt = Date.now();
    assert.equal(await first.stop('SIGTERM', 20_000), 0, 'exit 0 after draining');
    const drainMs = Date.now() - sigtermAt;
    const afterStop = await queue.getJobCounts('active', 'completed', 'waiting');
    assert.equal(afterStop.active, 0, 'no job left active (locked) by the stopped worker');
    const msgs = first.logs.map((l) => l.msg);
    assert.ok(msgs.indexOf('stopping') >= 0 && msgs.indexOf('stopping') < msgs.indexOf('stopped'));

    const second = await worker('worker-b', redisUrl, prefix, { WORKER_QUEUES: 'events:8' });
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === texts.length, { timeoutMs: 30_000, message: 'all jobs completed' });
    assert.ok(!second.logs.some((l) => l.msg?.startsWith('job stalled')), 'the second worker found nothing stalled');
    const counts = countByText(sim.apiCalls('chat.postMessage'));
    for (const t of texts) assert.equal(counts.get(`answer: ${t}`), 1, `answered exactly once: ${t}`);
    process.stderr.write(`# SIGTERM with ${active} jobs running: drained in ${drainMs} ms; ${afterStop.completed} done by the first worker, the rest by the second\n`);
    await second.stop();
  } finally {
    await queue.close();
    connection.disconnect();
  }
});

test('Redis restarts: the same worker process reconnects and serves jobs added after it is back', async () => {
  const prefix = uniquePrefix('redis-restart');
  const redis = await startPrivateRedis();
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined); // the outage below is on purpose
  const queue = testQueue('events', connection, prefix, () => undefined);
  try {
    const proc = await worker('worker-r', redis.url, prefix, { WORKER_QUEUES: 'events:4' });
    const port = await opsPort(proc);
    const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
    const pid = proc.child.pid;

    const before = Array.from({ length: 20 }, (_, i) => `<@U0000002> before ${i} ${prefix}`);
    await queue.addBulk(before.map((t) => mentionJob(t)));
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === before.length, { timeoutMs: 20_000, message: 'jobs before the restart' });

    await redis.stop();
    await waitFor(async () => (await ready()) === 503, { timeoutMs: 15_000, message: 'readiness to go false while Redis is down' });
    await proc.waitForLog((l) => l.msg === 'redis connection error', { timeoutMs: 10_000 });
    const downFor = Date.now();
    await redis.start();
    await waitFor(async () => (await ready()) === 200, { timeoutMs: 30_000, intervalMs: 100, message: 'readiness back after Redis restarted' });
    const recoveredMs = Date.now() - downFor;

    // Redis came back empty (no persistence in the test server): new jobs, same process.
    const afterTexts = Array.from({ length: 20 }, (_, i) => `<@U0000002> after ${i} ${prefix}`);
    await queue.addBulk(afterTexts.map((t) => mentionJob(t)));
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === afterTexts.length, { timeoutMs: 30_000, message: 'jobs after the restart' });
    const counts = countByText(sim.apiCalls('chat.postMessage'));
    for (const t of [...before, ...afterTexts]) assert.equal(counts.get(`answer: ${t}`), 1, `answered exactly once: ${t}`);
    assert.equal(proc.exited(), false, 'the worker process never exited');
    assert.equal(proc.child.pid, pid);
    assert.ok(proc.logs.some((l) => l.msg === 'redis connection restored'));
    process.stderr.write(`# Redis restart: ready again ${recoveredMs} ms after redis-server started\n`);
    assert.equal(await proc.stop(), 0);
  } finally {
    await queue.close();
    connection.disconnect();
    await redis.stop();
  }
});

test('SIGTERM while Redis is unreachable: the worker stops at once (exit 0), it does not wait for a reconnect that may never come', async () => {
  const prefix = uniquePrefix('sigterm-down');
  const redis = await startPrivateRedis();
  try {
    const proc = await worker('worker-d', redis.url, prefix, { WORKER_QUEUES: 'events:4,interactive:2', WORKER_SHUTDOWN_TIMEOUT_MS: '15000' });
    const port = await opsPort(proc);
    await redis.stop();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 503, { timeoutMs: 15_000, message: 'not ready while Redis is down' });
    // Long enough for BullMQ's blocking connections to be between reconnect attempts.
    await new Promise((r) => setTimeout(r, 1500));
    const sigtermAt = Date.now();
    assert.equal(await proc.stop('SIGTERM', 20_000), 0, 'exit 0, not the shutdown timeout');
    const tookMs = Date.now() - sigtermAt;
    assert.ok(tookMs < 10_000, `stopped in ${tookMs} ms`);
    assert.ok(proc.logs.some((l) => l.msg === 'stopped'));
    assert.ok(!proc.logs.some((l) => l.msg === 'shutdown timed out: exiting'));
    process.stderr.write(`# SIGTERM with Redis down: stopped in ${tookMs} ms\n`);
  } finally {
    await redis.stop();
  }
});
