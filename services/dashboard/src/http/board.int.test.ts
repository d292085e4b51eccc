// bull-board's router on its own (no dashboard guard in front of it), against the real test Redis:
// its `before` hook and the retry and remove routes served by FailedJobs are what refuse here, so these
// tests fail if either stops refusing. The whole dashboard is tested in dashboard.int.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Redis } from 'ioredis';
import { bullPrefix, type QueueName } from '@socketworks/protocol';
import { Counter, createQueues, Registry } from '@socketworks/runtime';
import { deleteKeys, getTestRedisUrl, uniquePrefix } from '@socketworks/testing';
import { FailedJobs } from '../jobs/failed-jobs';
import { captureLogs, commandJobData, completeJobs, failJobs, sample, type TestDashboard } from '../test-support/harness';
import { BOARD_BASE_PATH, createBoardRouter } from './board';
import { renderErrorPage } from './pages';
import { errorHandler } from './security';

interface BoardOnly {
  url: string;
  registry: Registry;
  close(): Promise<void>;
}

/** The board router alone in an express app, with only the dashboard's error handler behind it. */
async function startBoardOnly(t: Pick<TestDashboard, 'queues'>, redis: Redis, readOnly: boolean): Promise<BoardOnly> {
  const logs = captureLogs([]);
  const registry = new Registry();
  const retries = new Counter({ name: 'socketworks_dashboard_retries_total', help: 'h', labelNames: ['queue', 'kind'], registers: [registry] });
  const refusals = new Counter({ name: 'socketworks_dashboard_refusals_total', help: 'h', labelNames: ['reason'], registers: [registry] });
  const badRequests = new Counter({ name: 'socketworks_dashboard_bad_requests_total', help: 'h', labelNames: ['reason'], registers: [registry] });
  const failedJobs = new FailedJobs({ queues: t.queues, redis, logger: logs.logger });
  const app = express();
  app.use(BOARD_BASE_PATH, createBoardRouter({ queues: t.queues, readOnly, failedJobs, retries, refusals, badRequests, logger: logs.logger }));
  app.use(errorHandler(logs.logger, renderErrorPage, badRequests));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${BOARD_BASE_PATH}`;
  return { url, registry, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('bull-board router on its own', () => {
  const prefix = uniquePrefix('board');
  let redisUrl: string;
  let redis: Redis;
  let t: Pick<TestDashboard, 'queues' | 'redisUrl' | 'prefix'>;
  let writable: BoardOnly;
  let readOnly: BoardOnly;
  before(async () => {
    redisUrl = await getTestRedisUrl();
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined);
    const queues = createQueues(redis, { prefix });
    for (const queue of Object.values(queues)) queue.on('error', () => undefined);
    t = { queues, redisUrl, prefix };
    writable = await startBoardOnly(t, redis, false);
    readOnly = await startBoardOnly(t, redis, true);
  });
  after(async () => {
    await writable.close();
    await readOnly.close();
    await Promise.all(Object.values(t.queues).map((q) => q.close()));
    redis.disconnect();
    await deleteKeys(redisUrl, `${bullPrefix(prefix)}:*`);
  });

  const put = (board: BoardOnly, path: string, init: RequestInit = {}) => fetch(`${board.url}${path}`, { method: 'PUT', ...init });

  test('read-only: the hook and the retry routes refuse every change (403) and bull-board runs readOnlyMode', async () => {
    const queue: QueueName = 'events';
    await t.queues[queue].add('events_api', commandJobData('env-ro-board'), { jobId: 'env-env-ro-board', attempts: 1 });
    await failJobs(t as TestDashboard, queue, 1);
    const changes: Array<[string, string, RequestInit?]> = [
      ['PUT', '/api/queues/events/env-env-ro-board/retry'],
      ['PUT', '/api/queues/events/retry/failed'],
      ['PUT', '/api/queues/events/env-env-ro-board/clean'],
      ['PUT', '/api/queues/events/clean/failed'],
      ['PUT', '/api/queues/events/pause'],
      ['PUT', '/api/queues/pause'],
      ['PUT', '/api/queues/events/promote'],
    ];
    for (const [method, path] of changes) {
      const res = await fetch(`${readOnly.url}${path}`, { method });
      assert.equal(res.status, 403, path);
      assert.match(await res.text(), /read-only/i, path);
    }
    assert.equal(await t.queues.events.getJobState('env-env-ro-board'), 'failed', 'still failed');
    assert.equal(await t.queues.events.isPaused(), false);
    const metrics = await readOnly.registry.metrics();
    assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'read_only' }), changes.length);

    const board = (await (await fetch(`${readOnly.url}/api/queues`)).json()) as { queues: Array<{ readOnlyMode: boolean; allowRetries: boolean }> };
    assert.ok(board.queues.every((q) => q.readOnlyMode && !q.allowRetries), 'bull-board itself runs read-only');
    // The same request through the writable router goes through: the refusals were read-only mode.
    assert.equal((await put(writable, '/api/queues/events/env-env-ro-board/retry')).status, 204);
    await t.queues.events.obliterate({ force: true });
  });

  test('writable: retry of completed jobs, cleaning unfinished jobs and forging routes are refused; nothing changes', async () => {
    const queue = t.queues.interactive;
    for (let i = 0; i < 2; i += 1) await queue.add('interactive', commandJobData(`env-done-${i}`), { jobId: `env-env-done-${i}`, attempts: 1 });
    await completeJobs(t as TestDashboard, 'interactive', 2);
    await queue.add('interactive', commandJobData('env-wait-0'), { jobId: 'env-env-wait-0' });
    await queue.add('interactive', commandJobData('env-delay-0'), { jobId: 'env-env-delay-0', delay: 60000 });

    const refused: Array<[string, string, number, RegExp, RequestInit?]> = [
      ['PUT', '/api/queues/interactive/retry/completed', 403, /only failed jobs can be retried/],
      ['PUT', '/api/queues/interactive/env-env-done-0/retry', 409, /is completed, not failed/],
      ['PUT', '/api/queues/interactive/env-env-wait-0/retry', 409, /is waiting, not failed/],
      ['PUT', '/api/queues/interactive/clean/wait', 403, /only failed jobs can be cleaned/],
      ['PUT', '/api/queues/interactive/clean/delayed', 403, /only failed jobs can be cleaned/],
      ['PUT', '/api/queues/interactive/clean/active', 403, /only failed jobs can be cleaned/],
      ['PUT', '/api/queues/interactive/clean/prioritized', 403, /only failed jobs can be cleaned/],
      ['PUT', '/api/queues/interactive/clean/paused', 403, /only failed jobs can be cleaned/],
      ['PUT', '/api/queues/interactive/clean/completed', 403, /dedupe Slack's redeliveries/],
      ['PUT', '/api/queues/interactive/env-env-done-1/clean', 409, /is completed; removing it would drop the ids that dedupe/],
      ['PUT', '/api/queues/interactive/env-env-wait-0/clean', 409, /is waiting/],
      ['PUT', '/api/queues/interactive/env-env-delay-0/clean', 409, /is delayed/],
      ['POST', '/api/queues/interactive/add', 403, /could forge, re-run or drop Slack work/, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged', data: {}, options: {} }) }],
      ['PATCH', '/api/queues/interactive/env-env-wait-0/update-data', 403, /could forge/, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { forged: true } }) }],
      ['PUT', '/api/queues/interactive/empty', 403, /could forge/],
      ['PUT', '/api/queues/interactive/obliterate', 403, /could forge/],
    ];
    for (const [method, path, status, message, init] of refused) {
      const res = await fetch(`${writable.url}${path}`, { method, ...init });
      assert.equal(res.status, status, `${method} ${path}`);
      assert.match(await res.text(), message, `${method} ${path}`);
    }
    assert.deepEqual(await queue.getJobCounts('completed', 'waiting', 'delayed'), { completed: 2, waiting: 1, delayed: 1, paused: 0 }, 'nothing was re-run, removed or added');
    assert.equal((await queue.getJob('env-env-wait-0'))!.data.envelope_id, 'env-wait-0', 'data not edited');
    const metrics = await writable.registry.metrics();
    assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'route' }), 4);
    assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'state' }), 12);
    const board = (await (await fetch(`${writable.url}/api/queues`)).json()) as { queues: Array<{ allowRetries: boolean; allowCompletedRetries: boolean }> };
    assert.ok(board.queues.every((q) => q.allowRetries && !q.allowCompletedRetries), 'bull-board offers retry on failed jobs only');
    await queue.obliterate({ force: true });
  });

  test('writable: retrying failed jobs resets their attempts; cleaning failed jobs, pause, resume and promote work', async () => {
    const queue = t.queues.commands;
    for (let i = 0; i < 3; i += 1) await queue.add('slash_commands', commandJobData(`env-f-${i}`), { jobId: `env-env-f-${i}`, attempts: 1 });
    await failJobs(t as TestDashboard, 'commands', 3);
    assert.equal((await queue.getJob('env-env-f-0'))!.attemptsMade, 1);

    assert.equal((await put(writable, '/api/queues/commands/env-env-f-0/retry')).status, 204);
    const retried = (await queue.getJob('env-env-f-0'))!;
    assert.equal(await retried.getState(), 'waiting');
    assert.equal(retried.attemptsMade, 0, 'attempts reset, as from our pages');
    const all = await put(writable, '/api/queues/commands/retry/failed');
    assert.equal(all.status, 200);
    assert.deepEqual(await all.json(), { queue: 'commands', retried: 2, skipped: 0, remaining: 0 });
    for (let i = 0; i < 3; i += 1) assert.equal((await queue.getJob(`env-env-f-${i}`))!.attemptsMade, 0);
    let metrics = await writable.registry.metrics();
    assert.equal(sample(metrics, 'socketworks_dashboard_retries_total', { queue: 'commands', kind: 'one' }), 1);
    assert.equal(sample(metrics, 'socketworks_dashboard_retries_total', { queue: 'commands', kind: 'all' }), 2);
    await queue.drain();

    // Failed jobs can be removed: one by one, then the rest by state.
    for (let i = 0; i < 2; i += 1) await queue.add('slash_commands', commandJobData(`env-x-${i}`), { jobId: `env-env-x-${i}`, attempts: 1 });
    await failJobs(t as TestDashboard, 'commands', 2);
    assert.equal((await put(writable, '/api/queues/commands/env-env-x-0/clean')).status, 204);
    assert.equal(await queue.getJobState('env-env-x-0'), 'unknown');
    assert.equal((await put(writable, '/api/queues/commands/env-missing/clean')).status, 404, 'no such job');
    // bull-board's clean by state keeps jobs that finished in the last 5 s (its fixed grace time).
    await new Promise((resolve) => setTimeout(resolve, 5100));
    assert.equal((await put(writable, '/api/queues/commands/clean/failed')).status, 200);
    assert.deepEqual(await queue.getJobCounts('failed'), { failed: 0 });

    assert.equal((await put(writable, '/api/queues/commands/pause')).status, 200);
    assert.equal(await queue.isPaused(), true);
    assert.equal((await put(writable, '/api/queues/commands/resume')).status, 200);
    assert.equal(await queue.isPaused(), false);
    await queue.add('slash_commands', commandJobData('env-d-0'), { jobId: 'env-env-d-0', delay: 60000 });
    assert.equal((await put(writable, '/api/queues/commands/env-env-d-0/promote')).status, 204);
    assert.equal(await queue.getJobState('env-env-d-0'), 'waiting');
    metrics = await writable.registry.metrics();
    assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'route' }), 4, 'no refusal on the way');
    await queue.obliterate({ force: true });
  });

  test('writable: a failed job another request is retrying or removing right now (its lock held, on any replica) is neither removed nor retried', async () => {
    const queue = t.queues.commands;
    await queue.add('slash_commands', commandJobData('env-lock-0'), { jobId: 'env-env-lock-0', attempts: 1 });
    await failJobs(t as TestDashboard, 'commands', 1);
    // Another dashboard replica between its state check and its change.
    const lock = queue.toKey('dashboard-lock:env-env-lock-0');
    await redis.set(lock, 'another-replica', 'PX', 10000);
    for (const path of ['/api/queues/commands/env-env-lock-0/clean', '/api/queues/commands/env-env-lock-0/retry']) {
      const res = await put(writable, path);
      assert.equal(res.status, 409, path);
      assert.match(await res.text(), /being retried or removed by another request right now; try again/, path);
    }
    assert.equal(await queue.getJobState('env-env-lock-0'), 'failed', 'untouched');
    assert.equal(await redis.get(lock), 'another-replica', "the other request's lock is left alone");
    const all = await put(writable, '/api/queues/commands/retry/failed');
    assert.deepEqual(await all.json(), { queue: 'commands', retried: 0, skipped: 1, remaining: 1 }, 'retry all skips it');
    // Its change done, the lock goes; ours take it, and give it back.
    await redis.del(lock);
    assert.equal((await put(writable, '/api/queues/commands/env-env-lock-0/clean')).status, 204);
    assert.equal(await queue.getJobState('env-env-lock-0'), 'unknown', 'removed');
    assert.equal(await redis.exists(lock), 0, 'lock released');
    await queue.obliterate({ force: true });
  });
});
